"""A practice plan's TOML file checked into a `Plan` (docs/plans.md, The plan file).

Checking never raises: problems are `Diagnostic`s with file and line, like
protocol checks, and the plan is None when there is any error.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..protocols.checker import Checker, Diagnostic, show
from ..protocols.files import expand_paths
from ..protocols.parser import SLUG, read_source
from ..protocols.positions import KeyPath
from ..shared import C
from .model import (
    DAY_MINUTES,
    DAY_SETS,
    DEFAULT_TRIAL,
    DEFAULT_WEEKS,
    DEFAULT_WINDOW,
    EPOCH,
    MAX_DAY,
    SHORT_NL,
    WEEKDAYS,
    Moment,
    Plan,
    day_number,
    rating_byte,
)
from .ratings import trial_rating_warning

PLAN_KEYS = ("start", "weeks", "trial_sessions", "window", "end", "note")
MOMENT_KEYS = ("time", "protocol", "days", "window", "rating", "rating_days")


def is_plan_source(text: str) -> bool:
    """True for a file with a [plan] table (what `ontspan check` tells plans by)."""
    try:
        return isinstance(tomllib.loads(text).get("plan"), dict)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return re.search(r"^\s*\[\s*plan\s*\]", text, re.MULTILINE) is not None


def load_plan(path: str | Path) -> tuple[Plan | None, list[Diagnostic]]:
    text, diags = read_source(path)
    if text is None:
        return None, diags
    return parse_plan(text, str(path))


def parse_plan(text: str, path: str = "<string>") -> tuple[Plan | None, list[Diagnostic]]:
    """Check one plan's TOML source; the plan is None when there is any error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+)", str(e))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
        line = int(m.group(1)) if m else None
        return None, [Diagnostic("error", path, line, "", f"not valid TOML: {msg}")]
    except (RecursionError, ValueError) as e:
        return None, [Diagnostic("error", path, None, "", f"not valid TOML: {e}")]
    ck = Checker(path, text)
    plan = _plan(ck, data, path)
    diags = sorted(ck.diags, key=lambda d: d.line or 0)
    return (None if ck.failed else plan), diags


def _plan(ck: Checker, data: dict[str, Any], path: str) -> Plan | None:
    ck.keys(data, (), ("plan", "moment"))
    head = ck.table(data.get("plan"), ("plan",), "`plan`")
    raw = data.get("moment")
    if raw is None:
        ck.error((), "no moments: add at least one [[moment]] with time, protocol and days")
    elif not isinstance(raw, list) or not all(isinstance(m, dict) for m in raw):
        ck.error(("moment",), f"`moment` must be tables written as [[moment]], got {show(raw)}")
        raw = None
    elif len(raw) > C.PLAN_MAX_MOMENTS:
        ck.error(("moment",), f"{len(raw)} moments; a plan holds at most {C.PLAN_MAX_MOMENTS}")
    if head is None:
        return None
    key: KeyPath = ("plan",)
    ck.keys(head, key, PLAN_KEYS)
    start = _date(ck, head, key, "start") if "start" in head else None
    if "start" not in head:
        ck.error(key, "missing required key `start` (the first day, e.g. \"2026-12-01\")")
    end = _date(ck, head, key, "end") if "end" in head else None
    weeks = ck.int_in(head, key, "weeks", 1, C.PLAN_WEEKS_MAX) if "weeks" in head else DEFAULT_WEEKS
    trial = (
        ck.int_in(head, key, "trial_sessions", 1, C.PLAN_TRIAL_MAX)
        if "trial_sessions" in head else DEFAULT_TRIAL
    )
    window = _window(ck, head, key, DEFAULT_WINDOW)
    note = ck.string(head, key, "note", 2000) if "note" in head else ""
    if weeks is not None and weeks < 2:
        ck.warn(key + ("weeks",), "practise daily for at least two to three weeks before judging")
    if start and end and end < start:
        ck.error(key + ("end",), f"`end` {end} is before `start` {start}")
    elif start and end and weeks and end < start + dt.timedelta(days=weeks * 7 - 1):
        ck.warn(key + ("end",), f"reminders end on {end}, before the {weeks}-week block does")
    moments: list[tuple[int, Moment]] = []
    for i, m in enumerate(raw or ()):
        mo = _moment(ck, m, ("moment", i), window or DEFAULT_WINDOW)
        if mo is not None:
            moments.append((i, mo))
    moments.sort(key=lambda im: im[1].minute)
    _overlaps(ck, moments)
    if ck.failed or start is None or weeks is None or trial is None or note is None:
        return None
    return Plan(start, weeks, trial, tuple(m for _, m in moments), end, note, path)


def _date(ck: Checker, t: dict[str, Any], key: KeyPath, name: str) -> dt.date | None:
    v = t[name]
    if isinstance(v, str):
        try:
            v = dt.date.fromisoformat(v) if re.fullmatch(r"\d{4}-\d\d-\d\d", v) else v
        except ValueError:
            pass
    if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
        ck.error(key + (name,), f"`{name}` must be a date like \"2026-12-01\", got {show(v)}")
        return None
    if not 0 <= day_number(v) <= MAX_DAY:
        last = EPOCH + dt.timedelta(days=MAX_DAY)
        ck.error(key + (name,), f"`{name}` is {v}; allowed {EPOCH} to {last}")
        return None
    return v


def _window(ck: Checker, t: dict[str, Any], key: KeyPath, default: int) -> int | None:
    if "window" not in t:
        return default
    return ck.int_in(t, key, "window", C.PLAN_WINDOW_MIN, C.PLAN_WINDOW_MAX, " min")


def _moment(ck: Checker, m: dict[str, Any], key: KeyPath, window: int) -> Moment | None:
    ck.keys(m, key, MOMENT_KEYS)
    for req in ("time", "protocol"):
        if req not in m:
            ck.error(key, f"missing required key `{req}`")
    minute = _time(ck, m, key) if "time" in m else None
    proto = ck.string(m, key, "protocol", 40) if "protocol" in m else None
    if proto is not None and not SLUG.match(proto):
        ck.error(key + ("protocol",), f"`protocol` is {proto!r}; give a protocol's name, "
                 "such as 'pmr-kort'")
        proto = None
    days = _days(ck, m.get("days", "daily"), key + ("days",))
    win = _window(ck, m, key, window)
    rating = _rating(ck, m, key)
    if minute is None or proto is None or days is None or win is None or rating is None:
        return None
    if minute + win > DAY_MINUTES:
        ck.error(key + ("time",), f"the reminder window of {win} min after {m['time']} runs "
                 "past midnight; plan it earlier or shorten `window`")
        return None
    return Moment(minute, proto, days, win, rating)


_RATING_WORDS = {"none": "none", "after": "after", "both": "before_after",
                 "before_after": "before_after"}


def _rating(ck: Checker, m: dict[str, Any], key: KeyPath) -> int | None:
    """The moment's rating override byte (0: the protocol's own)."""
    if "rating" not in m:
        if "rating_days" in m:
            ck.error(key + ("rating_days",), "`rating_days` goes with `rating` "
                     "(e.g. rating = \"both\", rating_days = 7)")
            return None
        return 0
    v = m["rating"]
    if not isinstance(v, str) or v not in _RATING_WORDS:
        ck.error(key + ("rating",), f"`rating` is {show(v)}; allowed \"both\" (before and "
                 "after), \"after\", \"none\"")
        return None
    days = (ck.int_in(m, key, "rating_days", 1, C.PLAN_RATING_DAYS_MAX, " days")
            if "rating_days" in m else 0)
    return None if days is None else rating_byte(_RATING_WORDS[v], days)


def _time(ck: Checker, m: dict[str, Any], key: KeyPath) -> int | None:
    v = m["time"]
    if isinstance(v, dt.time) and v.second == 0 and v.microsecond == 0:
        return v.hour * 60 + v.minute
    hit = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", v) if isinstance(v, str) else None
    if not hit:
        ck.error(key + ("time",), f"`time` must be a time of day like \"21:30\", got {show(v)}")
        return None
    return int(hit.group(1)) * 60 + int(hit.group(2))


def _days(ck: Checker, v: Any, key: KeyPath) -> int | None:
    names = ", ".join(SHORT_NL)
    if isinstance(v, str):
        if v.lower() in DAY_SETS:
            return DAY_SETS[v.lower()]
        if v.lower().rstrip(".") in WEEKDAYS:
            return 1 << WEEKDAYS[v.lower().rstrip(".")]
        ck.error(key, f"`days` is {v!r}; use \"daily\", \"weekdays\", \"weekend\" or a list "
                 f"such as [\"ma\", \"wo\", \"vr\"] ({names}, or English mon..sun)")
        return None
    if not isinstance(v, list) or not v:
        ck.error(key, f"`days` must be \"daily\" or a list of weekdays, got {show(v)}")
        return None
    mask = 0
    for j, name in enumerate(v):
        d = WEEKDAYS.get(name.lower().rstrip(".")) if isinstance(name, str) else None
        if d is None:
            ck.error(key + (j,), f"{show(name)} is not a weekday; use {names} (or mon..sun)")
            return None
        if mask >> d & 1:
            ck.warn(key + (j,), f"{name!r} is listed twice")
        mask |= 1 << d
    return mask


def _overlaps(ck: Checker, moments: list[tuple[int, Moment]]) -> None:
    for a, (_, m) in enumerate(moments):
        for i, n in moments[a + 1 :]:
            shared = m.days & n.days
            if shared and n.minute < m.ends:
                days = Moment(0, "", shared, 0).day_names
                ck.error(("moment", i, "time"), f"{n.time} falls in the {m.window}-min reminder "
                         f"window of the {m.time} moment ({days}); moments on one day must be "
                         "a window apart")


def check_plans(paths: Iterable[str | Path]) -> tuple[list[str], list[Diagnostic], list[Path]]:
    """For `ontspan check`: the plan files among `paths` (those with a [plan] table)
    and their diagnostics; the other files are left for the protocol checker."""
    plans: list[str] = []
    diags: list[Diagnostic] = []
    others: list[Path] = []
    for f in expand_paths(paths):
        text, _ = read_source(f)
        if text is None or not is_plan_source(text):
            others.append(f)
            continue
        plans.append(str(f))
        plan, found = parse_plan(text, str(f))
        diags.extend(found)
        warning = trial_rating_warning(plan) if plan is not None else None
        if warning:
            diags.append(Diagnostic("warning", str(f), None, "moment", warning))
    return plans, diags, others
