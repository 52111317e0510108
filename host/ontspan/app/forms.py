"""The load form read into library values: protocol names and a plan through the
plan checker (its words, field by field). No rule of its own: the checker decides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from werkzeug.datastructures import MultiDict

from ..errors import InputError
from ..plan.check import parse_plan
from ..plan.model import DEFAULT_TRIAL, DEFAULT_WEEKS, DEFAULT_WINDOW, Plan
from ..plan.ratings import trial_rating_warning
from ..plan.source import MomentFields, plan_toml

MOMENT_ROWS = 4  # rows of the plan form; empty rows are no moment
OVERRIDES = {"before_after": "both", "after": "after", "none": "none"}  # plan file words


def plan_from(form: MultiDict[str, str]) -> tuple[Plan | None, str, list[str]]:
    """The plan the form describes, its TOML source and the checker's warnings;
    (None, "", []) for no moments."""
    moments = []
    for i in range(MOMENT_ROWS):
        time = form.get(f"time{i}", "").strip()
        if not time:
            continue
        days = [int(d) for d in form.getlist(f"days{i}") if d.isdigit()]
        win = form.get(f"window{i}", "").strip()
        moments.append(MomentFields(time, form.get(f"protocol{i}", ""), days,
                                    int(win) if win.isdigit() else None,
                                    form.get(f"rating{i}", ""), form.get(f"rating_days{i}", "")))
    if not moments:
        return None, "", []
    text = plan_toml(form.get("start", ""), form.get("weeks", ""), form.get("trial", ""),
                     moments, end=form.get("end", ""))
    plan, diags = parse_plan(text, "plan")
    if plan is None:
        raise InputError("the plan is not loaded: " + "; ".join(
            f"{d.key or 'plan'}: {d.message}" for d in diags if d.severity == "error"))
    warnings = [d.message for d in diags if d.severity == "warning"]
    trial = trial_rating_warning(plan)  # what `plan set` warns of too
    return plan, text, warnings + ([trial] if trial and trial not in warnings else [])


def protocols_from(form: MultiDict[str, str]) -> list[str]:
    """Library names checked, and the patient's own files or folders, one a line."""
    names = [n for n in form.getlist("protocol") if n]
    names += [line.strip() for line in form.get("files", "").splitlines() if line.strip()]
    if not names:
        raise InputError("choose at least one protocol to load")
    return names


def blank_plan(protocols: Sequence[str]) -> dict[str, object]:
    """What the plan form shows before there is a plan: today, the defaults."""
    return {"start": dt.date.today().isoformat(), "end": "", "weeks": DEFAULT_WEEKS,
            "trial": DEFAULT_TRIAL, "window": DEFAULT_WINDOW,
            "moments": [], "protocols": list(protocols)}


def plan_fields(plan: Plan, protocols: Sequence[str]) -> dict[str, object]:
    """The form filled from a plan (the patient's current one)."""
    return {"start": plan.start.isoformat(), "end": plan.end.isoformat() if plan.end else "",
            "weeks": plan.weeks, "trial": plan.trial_sessions, "window": DEFAULT_WINDOW,
            "moments": [{"time": m.time, "protocol": m.protocol, "window": m.window,
                         "days": [d for d in range(7) if m.days >> d & 1],
                         "rating": OVERRIDES.get(m.rating_mode or "", ""),
                         "rating_days": m.rating_days or ""}
                        for m in plan.moments],
            "protocols": list(protocols)}
