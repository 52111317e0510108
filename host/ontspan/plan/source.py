"""A plan written as its TOML source from values (the app's plan form), so the form
and the file go through the one checker (plan/check.py) with the same words, and
the archive keeps the source exactly as a file would be kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from .model import SHORT_NL, Moment, Plan


@dataclass(frozen=True)
class MomentFields:
    time: str  # "HH:MM"
    protocol: str
    days: Sequence[int]  # weekdays, Monday = 0
    window: int | None = None
    rating: str = ""  # "", or a moment's override: "both", "after", "none"
    rating_days: str = ""  # with `rating`: the plan's first N days only


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def plan_toml(start: str, weeks: str | int, trial: str | int, moments: Sequence[MomentFields],
              end: str = "", window: str | int | None = None, note: str = "") -> str:
    """The plan's TOML text. Values go in as given (quoted where text), so a wrong
    one is reported by the checker, never silently fixed here."""
    def num(v: str | int) -> str:
        text = str(v).strip()
        return text if text.lstrip("-").isdigit() else _s(text)

    lines = ["[plan]", f"start = {_s(start.strip())}"]
    if end.strip():
        lines.append(f"end = {_s(end.strip())}")
    lines += [f"weeks = {num(weeks)}", f"trial_sessions = {num(trial)}"]
    if window not in (None, ""):
        lines.append(f"window = {num(window)}")  # type: ignore[arg-type]
    if note.strip():
        lines.append(f"note = {_s(note.strip())}")
    for m in moments:
        days = "\"daily\"" if sorted(set(m.days)) == list(range(7)) else \
            "[" + ", ".join(_s(SHORT_NL[d]) for d in sorted(set(m.days)) if 0 <= d < 7) + "]"
        lines += ["", "[[moment]]", f"time = {_s(m.time.strip())}",
                  f"protocol = {_s(m.protocol.strip())}", f"days = {days}"]
        if m.window is not None:
            lines.append(f"window = {m.window}")
        if m.rating:
            lines.append(f"rating = {_s(m.rating)}")
        if m.rating_days.strip():
            lines.append(f"rating_days = {num(m.rating_days)}")
    return "\n".join(lines) + "\n"


def week(plan: Plan) -> list[list[Moment]]:
    """The moments of each weekday, Monday first, in time order: the plan's week view."""
    return [[m for m in plan.moments if m.days >> d & 1] for d in range(7)]
