"""The practice plan: a TOML file checked into a `Plan`, and its bytes for the device.

A plan says when to practise (moments: a time, a protocol, weekdays), how long
the practice block runs before judging it, and how many sessions make the
trial treatment. Checking never raises: problems are `Diagnostic`s with file
and line, like protocol checks. The binary layout is docs/plans.md; the
firmware's plan.py validates the same bytes (golden vectors in tests/vectors/plan/).
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
import struct
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .protocols.checker import Checker, Diagnostic, show
from .protocols.files import expand_paths
from .protocols.parser import SLUG, read_source
from .protocols.positions import KeyPath
from .shared import C, code_names

EPOCH = dt.date(2024, 1, 1)  # day 0 of the device's day numbers, a Monday
DEFAULT_WINDOW = C.PLAN_WINDOW_DEFAULT
DAY_MINUTES = 24 * 60
DEFAULT_WEEKS = 3
DEFAULT_TRIAL = 4
MAX_DAY = C.PLAN_NO_END - 1
ALL_DAYS = 0x7F

# weekday names, Monday = 0; Dutch and English, short and long
_DAY_NAMES = (
    ("ma", "maandag", "mo", "mon", "monday"),
    ("di", "dinsdag", "tu", "tue", "tuesday"),
    ("wo", "woensdag", "we", "wed", "wednesday"),
    ("do", "donderdag", "th", "thu", "thursday"),
    ("vr", "vrijdag", "fr", "fri", "friday"),
    ("za", "zaterdag", "sa", "sat", "saturday"),
    ("zo", "zondag", "su", "sun", "sunday"),
)
WEEKDAYS = {name: i for i, names in enumerate(_DAY_NAMES) for name in names}
DAY_SETS = {
    "daily": ALL_DAYS, "dagelijks": ALL_DAYS,
    "weekdays": 0x1F, "werkdagen": 0x1F,
    "weekend": 0x60,
}
SHORT_NL = tuple(names[0] for names in _DAY_NAMES)

PLAN_KEYS = ("start", "weeks", "trial_sessions", "window", "end", "note")
MOMENT_KEYS = ("time", "protocol", "days", "window")


class PlanError(ValueError):
    """Plan bytes the device would refuse, or a plan that cannot be encoded."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Moment:
    minute: int  # minutes after local midnight
    protocol: str  # protocol name (decoded plans without names: "#<id>")
    days: int  # weekday bits, bit 0 = Monday
    window: int  # reminder window, minutes

    @property
    def time(self) -> str:
        return f"{self.minute // 60:02d}:{self.minute % 60:02d}"

    @property
    def ends(self) -> int:
        return self.minute + self.window

    def on(self, day: dt.date) -> bool:
        return bool(self.days >> day.weekday() & 1)

    @property
    def day_names(self) -> str:
        if self.days == ALL_DAYS:
            return "daily"
        return ", ".join(SHORT_NL[i] for i in range(7) if self.days >> i & 1)


@dataclass(frozen=True)
class Plan:
    start: dt.date
    weeks: int
    trial_sessions: int
    moments: tuple[Moment, ...]  # in time order: the index is the moment number in logs
    end: dt.date | None = None  # last day with reminders; None = no end
    note: str = ""
    path: str = field(default="", compare=False)

    @property
    def block_days(self) -> int:
        return self.weeks * 7

    @property
    def block_end(self) -> dt.date:
        """The last day of the practice block."""
        return self.start + dt.timedelta(days=self.block_days - 1)

    def planned_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def occurrences(self, first: dt.date, last: dt.date) -> Iterator[tuple[dt.date, int]]:
        """(day, moment index) of every planned moment from `first` to `last`, in time order."""
        day = max(first, self.start)
        while day <= last and (self.end is None or day <= self.end):
            for i, m in enumerate(self.moments):
                if m.on(day):
                    yield day, i
            day += dt.timedelta(days=1)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "weeks": self.weeks,
            "trial_sessions": self.trial_sessions,
            "moments": [
                {"index": i, "time": m.time, "protocol": m.protocol, "days": m.day_names,
                 "window_min": m.window}
                for i, m in enumerate(self.moments)
            ],
        }


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


# ---------------------------------------------------------------- checking


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
    if minute is None or proto is None or days is None or win is None:
        return None
    if minute + win > DAY_MINUTES:
        ck.error(key + ("time",), f"the reminder window of {win} min after {m['time']} runs "
                 "past midnight; plan it earlier or shorten `window`")
        return None
    return Moment(minute, proto, days, win)


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


# ---------------------------------------------------------------- bytes


def encode_plan(plan: Plan, ids: Mapping[str, int]) -> bytes:
    """The plan's bytes for the device; `ids` maps protocol names to the table's ids."""
    missing = sorted({m.protocol for m in plan.moments} - set(ids))
    if missing:
        have = ", ".join(sorted(ids)) or "none"
        raise PlanError(f"the plan names protocol(s) the device does not have: "
                        f"{', '.join(missing)} (on the device: {have})")
    n = len(plan.moments)
    size = C.PLAN_HEADER + n * C.PLAN_MOMENT + C.PLAN_CRC
    end = C.PLAN_NO_END if plan.end is None else day_number(plan.end)
    buf = bytearray(C.PLAN_MAGIC + struct.pack("<BBHHHBB", C.PLAN_VERSION, n, size,
                                                day_number(plan.start), end, plan.weeks,
                                                plan.trial_sessions))
    for m in plan.moments:
        buf += struct.pack("<HBBBB", m.minute, ids[m.protocol], m.days, m.window, 0)
    buf += struct.pack("<I", binascii.crc32(buf))
    return bytes(buf)


ERROR_NAMES = {v: name[len("PLAN_E_"):] for v, name in code_names("PLAN_E_", True).items()}
_DECODE_ERRORS = {
    C.PLAN_E_LENGTH: "length does not match its moment count",
    C.PLAN_E_MAGIC: "not a plan (magic)",
    C.PLAN_E_VERSION: "another plan format version (update ontspan or the firmware)",
    C.PLAN_E_CRC: "CRC mismatch (damaged)",
    C.PLAN_E_HEADER: "header out of range (moments, days, weeks or trial sessions)",
    C.PLAN_E_MOMENT: "a moment out of range (time, protocol, days, window)",
    C.PLAN_E_ORDER: "moments out of time order or overlapping",
}


def plan_error_text(code: int) -> str:
    return _DECODE_ERRORS.get(code, f"error code {code}")


_MOMENT = struct.Struct("<HBBBB")  # minute, protocol, days, window, reserved


def check_bytes(data: bytes) -> int:
    """The device's validation code for `data` (0 = usable), checks in the same order
    (docs/plans.md, Validation); firmware/plan.py is the other reading of that text."""
    size = len(data)
    if size < C.PLAN_MIN:
        return C.PLAN_E_LENGTH
    if data[:2] != C.PLAN_MAGIC:
        return C.PLAN_E_MAGIC
    if data[2] != C.PLAN_VERSION:
        return C.PLAN_E_VERSION
    n, length, start, end, weeks, trial = struct.unpack_from("<BHHHBB", data, C.PLAN_H_COUNT)
    if length != size or size != C.PLAN_HEADER + n * C.PLAN_MOMENT + C.PLAN_CRC:
        return C.PLAN_E_LENGTH
    if binascii.crc32(data[:-C.PLAN_CRC]) != struct.unpack_from("<I", data, size - 4)[0]:
        return C.PLAN_E_CRC
    if not (1 <= n <= C.PLAN_MAX_MOMENTS and start != C.PLAN_NO_END and end >= start
            and 1 <= weeks <= C.PLAN_WEEKS_MAX and 1 <= trial <= C.PLAN_TRIAL_MAX):
        return C.PLAN_E_HEADER
    moments = [_MOMENT.unpack_from(data, C.PLAN_HEADER + i * C.PLAN_MOMENT) for i in range(n)]
    for minute, pid, days, window, reserved in moments:
        if not (minute < DAY_MINUTES and 1 <= pid <= 254 and 1 <= days <= 0x7F
                and C.PLAN_WINDOW_MIN <= window <= C.PLAN_WINDOW_MAX
                and minute + window <= DAY_MINUTES and reserved == 0):
            return C.PLAN_E_MOMENT
    for i, (minute, _, days, _, _) in enumerate(moments):
        earlier = moments[:i]
        if earlier and minute < earlier[-1][0]:
            return C.PLAN_E_ORDER
        if any(days & d and m + w > minute for m, _, d, w, _ in earlier):
            return C.PLAN_E_ORDER
    return 0


def decode_plan(data: bytes, names: Mapping[int, str] | None = None) -> Plan:
    """Plan bytes (as GET_PLAN returns them) back into a Plan; PlanError if invalid."""
    code = check_bytes(data)
    if code:
        raise PlanError(f"plan from the device: {plan_error_text(code)}", code)
    n, _, start, end, weeks, trial = struct.unpack_from("<BHHHBB", data, C.PLAN_H_COUNT)
    moments = []
    for i in range(n):
        minute, pid, days, window, _ = _MOMENT.unpack_from(data, C.PLAN_HEADER + i * C.PLAN_MOMENT)
        name = (names or {}).get(pid, f"#{pid}")
        moments.append(Moment(minute, name, days, window))
    last = None if end == C.PLAN_NO_END else EPOCH + dt.timedelta(days=end)
    return Plan(EPOCH + dt.timedelta(days=start), weeks, trial, tuple(moments), last)


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
        diags.extend(parse_plan(text, str(f))[1])
    return plans, diags, others
