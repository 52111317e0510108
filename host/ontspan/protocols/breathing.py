"""A breathing block as a therapist says it: "4-7-8" (in, hold, out, pause as
numbers), a ratio times seconds per unit, breaths per minute (docs/builder.md).

Only arithmetic on the phases a file gives; the checker judges the result (a
phase under 1 s, finer than 0.1 s) in its own words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from fractions import Fraction

from ..errors import InputError

PHASES = ("in_s", "hold_s", "out_s", "pause_s")
NOTATION = re.compile(r"^\s*\d+(\.\d+)?(\s*-\s*\d+(\.\d+)?){1,3}\s*$")


def _num(v: Fraction) -> int | float:
    return int(v) if v.denominator == 1 else float(v)


def notation(phases: Sequence[float]) -> str:
    """(4, 7, 8, 0) -> "4-7-8"; (4, 0, 6, 0) -> "4-6"; a pause makes four numbers."""
    i, h, o, p = (Fraction(str(x)) for x in phases)
    parts = (i, h, o, p) if p else (i, h, o) if h else (i, o)
    return "-".join(f"{float(x):g}" for x in parts)


def parse_notation(text: str) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """"4-6" is in-out, "4-7-8" in-hold-out, "4-2-6-2" in-hold-out-pause."""
    if not NOTATION.match(text):
        raise InputError(f"breathing {text!r}: write in-out, in-hold-out or in-hold-out-pause "
                         "in seconds or units, e.g. 4-6 or 4-7-8")  # fmt: skip
    n = [Fraction(x.strip()) for x in text.split("-")]
    if len(n) == 2:
        return n[0], Fraction(0), n[1], Fraction(0)
    if len(n) == 3:
        return n[0], n[1], n[2], Fraction(0)
    return n[0], n[1], n[2], n[3]


def per_minute(phases: Sequence[float]) -> float | None:
    """Breaths per minute of one cycle; None for a cycle of no length."""
    total = sum(Fraction(str(x)) for x in phases)
    return round(float(60 / total), 2) if total > 0 else None


def scaled(ratio: Sequence[Fraction], unit_s: Fraction) -> tuple[int | float, ...]:
    """The phases for `ratio` with `unit_s` seconds per unit (4-7-8 x 0.5 s -> 2, 3.5, 4)."""
    return tuple(_num(r * unit_s) for r in ratio)


def at_rate(ratio: Sequence[Fraction], bpm: float) -> tuple[int | float, ...]:
    """The phases of `ratio` at `bpm` breaths per minute, each to 0.1 s (half up),
    as the compiler rounds a ramp's phases."""
    total = sum(ratio)
    if total <= 0 or bpm <= 0:
        raise InputError(f"{bpm} breaths per minute: give a rate above 0 and a cycle with an in and out")
    cycle_ds = Fraction(600) / Fraction(str(bpm))
    return tuple(_num(Fraction(math.floor(cycle_ds * r / total + Fraction(1, 2)), 10)) for r in ratio)
