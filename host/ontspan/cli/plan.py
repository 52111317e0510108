"""`ontspan plan set FILE | show [--json] | clear`: the practice plan on the device.

The device stores protocol ids; the plan file names protocols. `set` maps names
to the ids of the table on the device (names recorded by `ontspan flash`) and
refuses a plan that names a protocol the device lacks. See docs/plans.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import EXIT_OK, InputError
from ..load.plan import clear_plan, put_plan, read_plan, reminder_notes
from ..plan.check import load_plan
from ..plan.model import Plan
from ..plan.ratings import trial_rating_warning
from ..textsafe import for_terminal
from .common import _common, connect


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="the practice plan on the device (reminders, adherence)")
    psub = p.add_subparsers(dest="plan_command", metavar="ACTION", required=True)
    q = psub.add_parser("set", help="check a plan file and store it on the device")
    q.add_argument("file", metavar="FILE", help="plan .toml file")
    q.add_argument("--db", type=Path, help="archive file where the patient's plans are kept "
                   "(default: in the user data folder)")
    _common(q)
    q.set_defaults(handler=cmd_set)
    q = psub.add_parser("show", help="the plan the device holds")
    _common(q, json_out=True)
    q.set_defaults(handler=cmd_show)
    q = psub.add_parser("clear", help="remove the plan from the device (no more reminders)")
    _common(q)
    q.set_defaults(handler=cmd_clear)


def cmd_set(args: argparse.Namespace) -> int:
    plan, diags = load_plan(args.file)
    for d in diags:
        print(d, file=sys.stderr)
    if plan is None:
        raise InputError(f"{args.file} has errors; run `ontspan check {args.file}`")
    warning = trial_rating_warning(plan)
    if warning:
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    with connect(args) as lk:
        data = put_plan(lk, plan)
        clock = lk.get_clock()
        clock_set = clock.is_set
        device_id = lk.device_id()
        notes = reminder_notes(lk)
    print(f"plan stored: {len(plan.moments)} moment(s) from {plan.start}, {len(data)} bytes")
    # the patient's record of it: from the device's "now" (it is what the plan runs by)
    at = dt.datetime.fromtimestamp(clock.epoch, dt.UTC) if clock_set else None
    _record(args, plan, device_id, at)
    for note in notes:
        print(note)
    return EXIT_OK


def _record(args: argparse.Namespace, plan: Plan, device_id: str,
            at: dt.datetime | None) -> None:
    from ..archive.given import record_for_device
    from ..archive.store import Archive, default_path

    if args.db is None and not default_path().exists():
        print("no patients on this PC yet: the plan is not recorded for a report "
              "(`ontspan patient add NAME`, `ontspan patient link NAME`, then set it again)")
        return
    with Archive(args.db) as ar:
        who = record_for_device(ar, device_id, plan, Path(args.file).read_text(encoding="utf-8"), at)
    if who is None:
        print(f"no patient linked to device {device_id}: the plan is not recorded "
              "for a report (`ontspan patient link NAME` first, then set it again)")
        return
    print(for_terminal(f"recorded as {who.name}'s plan"))


def cmd_show(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        plan = read_plan(lk)
        clock_set = lk.get_clock().is_set
    if args.json:
        doc = {"plan": plan.to_json() if plan else None, "clock_set": clock_set}
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return EXIT_OK
    if plan is None:
        print("no plan on the device")
        return EXIT_OK
    end = f" to {plan.end}" if plan.end else ""
    print(f"plan from {plan.start}{end}: {plan.weeks} week(s) before judging, "
          f"trial of {plan.trial_sessions} session(s)")
    for i, m in enumerate(plan.moments):
        print(f"  {i}: {m.time} {m.protocol} ({m.day_names}), reminder {m.window} min")
    if not clock_set:
        print("reminders wait for the clock (not set since the device started)")
    return EXIT_OK


def cmd_clear(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        clear_plan(lk)
    print("plan cleared: no more reminders")
    return EXIT_OK
