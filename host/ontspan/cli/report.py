"""`ontspan report PATIENT` and `ontspan report --all FOLDER`: the patient reports
(report/patient_page.py builds them; this prints and writes)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ..archive import patients as pt
from ..archive.store import Archive
from ..errors import EXIT_OK, InputError
from ..textsafe import for_terminal


def file_name(name: str) -> str:
    """A patient's name as a file name (letters, digits, - and _ kept)."""
    return (re.sub(r"[^\w-]+", "_", name, flags=re.UNICODE).strip("_") or "patient") + ".html"


def patient_reports(args: argparse.Namespace, lang: str) -> int:
    from ..report.patient_page import report_for_patient

    if args.patient and args.all:
        raise InputError("give a PATIENT or --all FOLDER, not both")
    if args.device or args.date_from or args.date_to:
        raise InputError("a patient's report covers the patient's devices and plan block: "
                         "--device, --from and --to are for the report without patients")
    plan = None
    if args.plan_file:
        from ..plan.check import load_plan

        plan, diags = load_plan(args.plan_file)
        if plan is None:
            first = next((d for d in diags if d.severity == "error"), None)
            raise InputError(f"{first or args.plan_file}; run `ontspan check {args.plan_file}`")
    with Archive(args.db) as ar:
        people = [pt.find_patient(ar, args.patient)] if args.patient else pt.list_patients(ar)
        if not people:
            raise InputError("no patients in the archive (`ontspan patient add NAME`)")
        if args.all:
            folder = Path(args.all)
            if args.output:
                raise InputError("--all writes into its FOLDER: leave out -o")
            folder.mkdir(parents=True, exist_ok=True)
        reports = []
        for p in people:
            rep = report_for_patient(ar, p, lang, plan_file=plan)
            out = (Path(args.all) / file_name(p.name) if args.all
                   else Path(args.output or file_name(p.name)))
            out.write_text(rep.html, encoding="utf-8")
            reports.append((p, rep, out))
    if args.json:
        print(json.dumps([{"patient": p.name, "file": str(out),
                           "moments": [r.to_json() for r in rep.moments.rows]}
                          for p, rep, out in reports], ensure_ascii=False))
        return EXIT_OK
    for _p, rep, out in reports:
        print("\n".join(rep.lines(lang)))
        print(for_terminal(f"report: {out}"))
    return EXIT_OK
