"""`ontspan patient add|list|show|link|unlink`: patients, kept on this PC only.

A patient is a name (or a code) and a note in the archive; nothing of it is
written to the device. `link` ties the device plugged in (or one named by id or
label) to the patient: its sessions from then on are the patient's, until the
device is linked to someone else or unlinked. See archive/patients.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..archive import patients as pt
from ..archive.store import Archive
from ..errors import EXIT_OK, InputError
from ..textsafe import for_terminal


def when(text: str) -> dt.datetime:
    """--from: a local date or date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)."""
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date or date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM): {text!r}") from None
    return t if t.tzinfo else t.astimezone()


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, help="archive file (default: in the user data folder)")


def register(sub: Any) -> None:
    p = sub.add_parser("patient", help="patients and the device each one uses (on this PC only)")
    psub = p.add_subparsers(dest="patient_command", metavar="ACTION", required=True)
    q = psub.add_parser("add", help="add a patient (a name or a code)")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--note", default="", help="a note kept with the patient")
    _db(q)
    q.set_defaults(handler=cmd_add)
    q = psub.add_parser("list", help="the patients and their devices")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    _db(q)
    q.set_defaults(handler=cmd_list)
    q = psub.add_parser("show", help="one patient: devices over time, plans, sessions")
    q.add_argument("name", metavar="PATIENT", help="name or id")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    _db(q)
    q.set_defaults(handler=cmd_show)
    q = psub.add_parser("link", help="give the patient a device (the one plugged in by default)")
    q.add_argument("name", metavar="PATIENT", help="name or id")
    q.add_argument("device", metavar="DEVICE", nargs="?",
                   help="device id or label (default: the device plugged in)")
    q.add_argument("--port", metavar="PATH", help="serial port of the device to link")
    q.add_argument("--from", dest="at", type=when, metavar="YYYY-MM-DD[THH:MM]",
                   help="linked since (default: now)")
    _db(q)
    q.set_defaults(handler=cmd_link)
    q = psub.add_parser("unlink", help="the patient handed the device back")
    q.add_argument("name", metavar="PATIENT", help="name or id")
    q.add_argument("--from", dest="at", type=when, metavar="YYYY-MM-DD[THH:MM]",
                   help="handed back at (default: now)")
    _db(q)
    q.set_defaults(handler=cmd_unlink)


def _doc(ar: Archive, p: pt.Patient) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "note": p.note, "created": p.created,
            "device": pt.device_of(ar, p)}


def cmd_add(args: argparse.Namespace) -> int:
    with Archive(args.db) as ar:
        p = pt.add_patient(ar, args.name, args.note)
    print(for_terminal(f"patient {p.name} added (id {p.id}); next: "
                       f"`ontspan patient link {p.name}` with the device plugged in"))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    with Archive(args.db) as ar:
        docs = [_doc(ar, p) for p in pt.list_patients(ar)]
    if args.json:
        print(json.dumps(docs, indent=1, ensure_ascii=False))
    elif not docs:
        print("no patients yet (`ontspan patient add NAME`)")
    else:
        for d in docs:
            print(for_terminal(f"{d['id']}\t{d['name']}\t{d['device'] or '-'}\t{d['note']}"))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with Archive(args.db) as ar:
        p = pt.find_patient(ar, args.name)
        doc = _doc(ar, p)
        doc["links"] = [vars(x) for x in pt.links_of(ar, p)]
        doc["plans"] = [{"start": x.start, "end": x.end, "device": x.device_id,
                         "plan": x.plan.to_json()} for x in pt.plans_of(ar, p)]
        doc["sessions"] = len(pt.sessions_of(ar, p))
    if args.json:
        print(json.dumps(doc, indent=1, ensure_ascii=False))
        return EXIT_OK
    lines = [f"{p.name} (id {p.id})" + (f": {p.note}" if p.note else "")]
    for x in doc["links"]:
        lines.append(f"  device {x['device_id']} from {x['start']} "
                     + (f"to {x['end']}" if x["end"] else "(linked now)"))
    if not doc["links"]:
        lines.append("  no device linked yet")
    for x in doc["plans"]:
        pl = x["plan"]
        lines.append(f"  plan loaded {x['start']}: from {pl['start']}, {len(pl['moments'])} "
                     f"moment(s) a day, {pl['weeks']} week(s)"
                     + (f", until {x['end']}" if x["end"] else ""))
    if not doc["plans"]:
        lines.append("  no plan yet (`ontspan plan set PLAN.toml`)")
    lines.append(f"  sessions in the archive: {doc['sessions']}")
    print("\n".join(for_terminal(x) for x in lines))
    return EXIT_OK


def _plugged_device(port: str | None) -> str:
    from .common import connect

    ns = argparse.Namespace(port=port, trace=False)
    with connect(ns) as lk:
        return str(lk.info()["device_id"])


def cmd_link(args: argparse.Namespace) -> int:
    with Archive(args.db) as ar:
        p = pt.find_patient(ar, args.name)
        if args.device:
            if args.port:
                raise InputError("give a DEVICE or --port, not both")
            try:
                dev = ar.resolve_device(args.device)
            except InputError:
                dev = args.device  # a device not pulled yet: its id as printed on it
        else:
            dev = _plugged_device(args.port)
        before = pt.patient_of(ar, dev, args.at)
        link = pt.link_device(ar, p, dev, args.at)
    if before is not None and before.id != p.id:
        print(for_terminal(f"device {dev} was {before.name}'s until now"))
    print(for_terminal(f"{p.name}: device {dev} from {link.start}"))
    return EXIT_OK


def cmd_unlink(args: argparse.Namespace) -> int:
    with Archive(args.db) as ar:
        p = pt.find_patient(ar, args.name)
        link = pt.unlink_device(ar, p, args.at)
    print(for_terminal(f"{p.name}: device {link.device_id} handed back at {link.end}"))
    return EXIT_OK
