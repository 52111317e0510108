"""The practice plan: the `Plan` model and its bytes for the device.

A plan says when to practise (moments: a time, a protocol, weekdays), how long
the practice block runs before judging it, and how many sessions make the
trial treatment. The TOML file becomes a `Plan` in plan/check.py. The binary
layout is docs/plans.md; the firmware's plan.py validates the same bytes
(golden vectors in tests/vectors/plan/).
"""

from __future__ import annotations

import binascii
import datetime as dt
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..shared import C, code_names

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
# rating modes by value (RATING_MODE_*): what a protocol, or a plan moment, asks
RATING_NAMES = ("none", "after", "before_after")


def rating_byte(mode: str, days: int = 0) -> int:
    """A moment's rating override in the plan bytes (docs/plans.md)."""
    return RATING_NAMES.index(mode) + 1 | days << C.PLAN_RATING_DAYS_SHIFT


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
    rating: int = 0  # override byte: 0 = the protocol's own (see rating_byte)

    @property
    def rating_mode(self) -> str | None:
        """The override's rating mode (RATING_NAMES), None = the protocol's own."""
        return RATING_NAMES[(self.rating & 3) - 1] if self.rating else None

    @property
    def rating_days(self) -> int:
        """Days from the plan's start the override holds (0 = every day)."""
        return self.rating >> C.PLAN_RATING_DAYS_SHIFT

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
                 "window_min": m.window, "rating": m.rating_mode, "rating_days": m.rating_days}
                for i, m in enumerate(self.moments)
            ],
        }


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


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
    buf = bytearray(C.PLAN_MAGIC + bytes([C.PLAN_VERSION]) + struct.pack(C.PLAN_HEADER_FIELDS, n, size,
                                                day_number(plan.start), end, plan.weeks,
                                                plan.trial_sessions))
    for m in plan.moments:
        buf += _MOMENT.pack(m.minute, ids[m.protocol], m.days, m.window, m.rating)
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


_MOMENT = struct.Struct(C.PLAN_MOMENT_FIELDS)


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
    n, length, start, end, weeks, trial = struct.unpack_from(C.PLAN_HEADER_FIELDS, data, C.PLAN_H_COUNT)
    if length != size or size != C.PLAN_HEADER + n * C.PLAN_MOMENT + C.PLAN_CRC:
        return C.PLAN_E_LENGTH
    if binascii.crc32(data[:-C.PLAN_CRC]) != struct.unpack_from("<I", data, size - 4)[0]:
        return C.PLAN_E_CRC
    if not (1 <= n <= C.PLAN_MAX_MOMENTS and start != C.PLAN_NO_END and end >= start
            and 1 <= weeks <= C.PLAN_WEEKS_MAX and 1 <= trial <= C.PLAN_TRIAL_MAX):
        return C.PLAN_E_HEADER
    moments = [_MOMENT.unpack_from(data, C.PLAN_HEADER + i * C.PLAN_MOMENT) for i in range(n)]
    for minute, pid, days, window, rating in moments:
        if not (minute < DAY_MINUTES and C.PROTOCOL_ID_MIN <= pid <= C.PROTOCOL_ID_MAX and 1 <= days <= 0x7F
                and C.PLAN_WINDOW_MIN <= window <= C.PLAN_WINDOW_MAX
                and minute + window <= DAY_MINUTES and (rating == 0 or rating & 3)):
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
        minute, pid, days, window, rating = _MOMENT.unpack_from(data, C.PLAN_HEADER + i * C.PLAN_MOMENT)
        name = (names or {}).get(pid, f"#{pid}")
        moments.append(Moment(minute, name, days, window, rating))
    last = None if end == C.PLAN_NO_END else EPOCH + dt.timedelta(days=end)
    return Plan(EPOCH + dt.timedelta(days=start), weeks, trial, tuple(moments), last)
