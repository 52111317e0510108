"""CLI: `ontspan logs pull|export`, `ontspan device label`, `ontspan report`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..archive.store import Archive, epoch_name
from ..errors import EXIT_OK, InputError, OntspanError
from ..textsafe import for_terminal, refuse_control
from .progress import progress_bar


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _archive(args: argparse.Namespace) -> Archive:
    return Archive(args.db)


def _common(p: argparse.ArgumentParser, dates: bool = True) -> None:
    p.add_argument("--db", type=Path, help="archive file (default: in the user data folder)")
    if dates:
        p.add_argument("--device", help="device id or label (default: all devices)")
        p.add_argument("--from", dest="date_from", type=_date, metavar="YYYY-MM-DD")
        p.add_argument("--to", dest="date_to", type=_date, metavar="YYYY-MM-DD")


def _check_range(args: argparse.Namespace) -> None:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise InputError(f"--from {args.date_from} is after --to {args.date_to}")


# -- logs


def open_link(port: str | None) -> Any:
    """The device link used by `logs pull` (the serial link module provides it)."""
    try:
        from ..device import client as link
    except ImportError:
        link = None  # type: ignore[assignment]
    opener = getattr(link, "open_log_link", None)
    if opener is None:
        raise OntspanError("logs pull: this ontspan has no device link yet")
    return opener(port)


def known_names(link: Any) -> dict[int, dict[int, str]]:
    """Protocol names of the device's current table, as `ontspan flash` remembered them."""
    from ..device.names import archive_names

    if not hasattr(link, "info"):  # a log source without INFO (pull's Source protocol)
        return {}
    return archive_names(link.info())


def cmd_pull(args: argparse.Namespace) -> int:
    from ..archive.pull import pull

    link = open_link(args.port)
    with _archive(args) as ar:
        try:
            names = known_names(link)
            with progress_bar(not args.json, unit="rec", desc="logs") as bar:
                res = pull(link, ar, None if bar is None else bar.update, clear=args.clear, names=names)
        finally:
            close = getattr(link, "close", None)
            if callable(close):
                close()
    if args.json:
        print(json.dumps(asdict(res)))
    else:
        for note in res.notes:
            print(for_terminal(note))
        print(f"{res.device_id}: {res.new} new record(s), {res.duplicate} already archived, "
              f"last seq {res.last_seq}" + (f" of log {epoch_name(res.epoch)}" if res.epoch else "")
              + (" (device cleared)" if res.cleared_upto else ""))
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace) -> int:
    from ..logformat import RecordError, decode

    with _archive(args) as ar:
        rows = ar.conflicts(args.device)
    if args.json:
        print(json.dumps([{k: (v.hex() if isinstance(v, bytes) else v) for k, v in r.items()}
                          for r in rows], indent=1))
        return EXIT_OK
    if not rows:
        print("no clashing records: every record pulled is in the archive")
        return EXIT_OK
    for r in rows:
        try:
            got = decode(r["raw"])
            what = f"{got.rtype.name} {got.outcome.label}, boot {got.boot}, uptime {got.uptime_s} s"
        except RecordError as e:
            what = str(e)
        print(for_terminal(f"{r['device_id']} log {epoch_name(r['epoch'])} seq {r['seq']}: "
                           f"pulled {r['pulled_at']} ({what}) differs from the archived record"))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    _check_range(args)
    fmt = "json" if args.json else "csv"
    if args.patient and not args.moments:
        raise InputError("--patient goes with --moments (sessions: --device takes a patient)")
    with _archive(args) as ar:
        if args.moments:
            from ..report.export import export_moments

            text = export_moments(ar, fmt, args.patient, args.device, args.date_from,
                                  args.date_to)
        else:
            text = ar.export(fmt, args.device, args.date_from, args.date_to)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_label(args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name:
        raise InputError("the label is empty")
    refuse_control(name, "the label")
    with _archive(args) as ar:
        ar.label(args.device_id, name)
    print(for_terminal(f"{args.device_id}: {name}"))
    return EXIT_OK


def cmd_devices(args: argparse.Namespace) -> int:
    with _archive(args) as ar:
        devs = ar.devices()
    if args.json:
        print(json.dumps(devs, indent=1))
    else:
        for d in devs:
            print(for_terminal(f"{d['device_id']}\t{d['label'] or '-'}\tlast seen {d['last_seen']}"))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ..report.page import build_html, per_device, summarize, terminal_summary
    from ..report.text import default_lang

    _check_range(args)
    lang = args.lang or default_lang()
    if args.patient or args.all:
        from .report import patient_reports

        return patient_reports(args, lang)
    with _archive(args) as ar:
        if not args.device and ar.db.execute("SELECT 1 FROM patients").fetchone():
            raise InputError("name the patient: `ontspan report NAME` "
                             "(`ontspan patient list`), or --all FOLDER for one file each")
        sessions = ar.sessions(args.device, args.date_from, args.date_to)
        missed = ar.missed(args.device, args.date_from, args.date_to)
    if not sessions:
        raise OntspanError("no sessions in the archive for that selection")
    groups = per_device(sessions)  # one patient per device: never pooled
    summaries = [summarize(g, args.plan, args.trial) for g in groups]
    plan = None
    if args.plan_file:  # adherence to a plan file (docs/plans.md): one patient's plan
        if len(groups) > 1:
            raise InputError(
                "--plan-file: the archive holds several devices; choose the patient's with --device"
            )
        from ..report.adherence import for_report, to_html

        plan = for_report(args.plan_file, sessions, missed)
    args.output = args.output or "report.html"
    Path(args.output).write_text(
        build_html(sessions, args.plan, args.trial, lang=lang,
                   plan_html=to_html(plan) if plan else ""),
        encoding="utf-8",
    )
    if args.json:
        docs = [asdict(s) for s in summaries]
        if plan and docs:
            docs[0]["plan"] = plan.to_json()
        print(json.dumps(docs, default=str))
    else:
        print("\n\n".join(terminal_summary(s, lang) for s in summaries))
        if plan:
            print("\n".join(plan.lines()))
        print(f"report: {args.output}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    logs = sub.add_parser("logs", help="pull and export practice logs")
    lsub = logs.add_subparsers(dest="logs_command", metavar="ACTION", required=True)

    p = lsub.add_parser("pull", help="copy new log records from the device into the archive")
    p.add_argument("--port", help="serial port (default: auto-detect)")
    p.add_argument("--clear", action="store_true",
                   help="then let the device forget what the archive holds")
    p.add_argument("--json", action="store_true", help="result as JSON")
    _common(p, dates=False)
    p.set_defaults(handler=cmd_pull)

    p = lsub.add_parser("conflicts", help="records kept aside because they clash with archived ones")
    p.add_argument("--json", action="store_true")
    p.add_argument("--db", type=Path, help="archive file (default: in the user data folder)")
    p.add_argument("--device", help="device id or label (default: all devices)")
    p.set_defaults(handler=cmd_conflicts)

    p = lsub.add_parser("export", help="sessions (or planned moments) as CSV or JSON")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--csv", action="store_true")
    g.add_argument("--json", action="store_true")
    p.add_argument("--moments", action="store_true",
                   help="one row per planned moment of each patient: status and the session")
    p.add_argument("--patient", metavar="NAME", help="with --moments: this patient only")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    _common(p)
    p.set_defaults(handler=cmd_export)

    dev = sub.add_parser("device", help="names for devices (kept on this PC only)")
    dsub = dev.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    p = dsub.add_parser("label", help="give a device a name")
    p.add_argument("device_id")
    p.add_argument("name")
    _common(p, dates=False)
    p.set_defaults(handler=cmd_label)
    p = dsub.add_parser("list", help="devices in the archive")
    p.add_argument("--json", action="store_true")
    _common(p, dates=False)
    p.set_defaults(handler=cmd_devices)

    p = sub.add_parser("report", help="HTML practice report for the therapist, one per patient")
    p.add_argument("patient", metavar="PATIENT", nargs="?", help="patient name or id")
    p.add_argument("--all", metavar="FOLDER", help="one report per patient, into this folder")
    p.add_argument("-o", "--output",
                   help="HTML file (default: PATIENT.html; without patients report.html)")
    p.add_argument("--plan", choices=sorted(PLAN_CHOICES), default="daily",
                   help="sessions planned per day")
    p.add_argument("--trial", type=int, default=4, metavar="N",
                   help="sessions in the trial summary (default 4)")
    p.add_argument("--lang", choices=("nl", "en"),
                   help="language of the report (default: from the system locale)")
    p.add_argument("--plan-file", metavar="PLAN.toml",
                   help="what if: judge by this plan file instead of the plans the patient had")
    p.add_argument("--json", action="store_true", help="summary numbers as JSON, one per device")
    _common(p)
    p.set_defaults(handler=cmd_report)


PLAN_CHOICES = ("daily", "twice-daily")
