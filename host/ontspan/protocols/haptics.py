"""Motor patterns as data: the vocabulary, the rules, the presets (docs/protocols.md).

A pattern is a tuple of segments `(level, ms)`: level 1..255 of the session's
strength (at least PAT_LEVEL_MIN when on), 0 a gap; ms in steps of 10. The rules
are the device's (firmware/haptic.py `pattern_ok`), so a pattern the checker
passes is one the device plays, and the decoder refuses what the device refuses.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..shared import C

Segment = tuple[int, int]  # (level 0..255, ms)
Pattern = tuple[Segment, ...]

# the cue kinds a style gives a pattern, in table order of their codes
KINDS = ("tense", "release", "in", "hold", "out", "rest", "check", "end")
KIND_CODES = {
    "tense": C.K_TENSE,
    "release": C.K_RELEASE,
    "in": C.K_IN,
    "hold": C.K_HOLD,
    "out": C.K_OUT,
    "rest": C.K_REST,
    "check": C.K_CHECK,
    "end": C.K_END,
}
UNIT_MS = 10
SEGMENTS_MAX = C.PAT_SEGMENTS_MAX
LEVEL_MIN = C.PAT_LEVEL_MIN
ON_MIN_MS = C.PAT_ON_MIN * UNIT_MS
GAP_MIN_MS = C.PAT_GAP_MIN * UNIT_MS
RUN_MAX_MS = C.PAT_RUN_MAX * UNIT_MS
SEGMENT_MAX_MS = 255 * UNIT_MS

# the patterns every style had before patterns became data (firmware/haptic.py BUILTIN)
BUILTIN: dict[str, Pattern] = {
    "tense": ((255, 100), (0, 100), (255, 100), (0, 100), (255, 300)),
    "release": ((255, 300), (192, 300), (128, 300)),
    "in": ((255, 200),),
    "hold": ((255, 500),),
    "out": ((255, 120), (0, 150), (255, 120)),
    "rest": ((255, 400), (0, 300), (255, 400)),
    "check": ((255, 100), (0, 150), (255, 400)),
    "end": ((255, 300), (0, 300), (255, 300), (0, 300), (255, 300)),
}
# format 1 pattern bits: which kinds each switch makes felt
FAMILY_BITS = {
    "tense": C.PATTERN_TAPS,
    "release": C.PATTERN_PULSE,
    "in": C.PATTERN_SWELL,
    "hold": C.PATTERN_SWELL,
    "out": C.PATTERN_SWELL,
    "rest": C.PATTERN_DOUBLE,
    "check": C.PATTERN_DOUBLE,
    "end": C.PATTERN_DOUBLE,
}
# the language's switches from before presets: each turns a family of kinds on or off
SWITCHES = {
    "taps_on_tense": ("tense", "position"),
    "pulse_on_release": ("release",),
    "swell_on_breath": ("in", "hold", "out"),
    "double_pulse_at_end": ("rest", "check", "end"),
}


def _scaled(p: Pattern, num: int, den: int) -> Pattern:
    return tuple((-(-lv * num // den), ms) for lv, ms in p)  # rounded up: 255 -> 160


# preset -> (patterns of every kind, kinds felt, position taps)
PRESETS: dict[str, tuple[dict[str, Pattern], frozenset[str], bool]] = {
    # today's: breathing is not felt
    "standaard": (BUILTIN, frozenset(KINDS) - {"in", "hold", "out"}, True),
    # every kind felt, breathing too
    "duidelijk": (BUILTIN, frozenset(KINDS), True),
    # the same rhythms at 5/8 of the strength, breathing not felt
    "zacht": ({k: _scaled(p, 5, 8) for k, p in BUILTIN.items()},
              frozenset(KINDS) - {"in", "hold", "out"}, True),  # fmt: skip
    # nothing felt
    "uit": (BUILTIN, frozenset(), False),
}
DEFAULT_PRESET = "standaard"
OFF = "uit"  # a kind's value: silent


def default_motor() -> tuple[Pattern | None, ...]:
    pats, on, _ = PRESETS[DEFAULT_PRESET]
    return tuple(pats[k] if k in on else None for k in KINDS)


def problems(p: Sequence[Segment]) -> list[tuple[int | None, str]]:
    """What is wrong with pattern `p`: (segment index or None, message) pairs, each
    saying what is allowed. Empty when the device plays it (firmware pattern_ok)."""
    out: list[tuple[int | None, str]] = []
    if not 1 <= len(p) <= SEGMENTS_MAX:
        return [(None, f"{len(p)} segments; a pattern has 1 to {SEGMENTS_MAX}")]
    on = gap = 0
    for i, (lv, ms) in enumerate(p):
        if not 0 <= lv <= 255:
            out.append((i, f"level {lv}; allowed 0 (a gap) or {LEVEL_MIN} to 255"))
            continue
        if ms % UNIT_MS or not UNIT_MS <= ms <= SEGMENT_MAX_MS:
            out.append((i, f"a segment of {ms} ms; segments last {UNIT_MS} to {SEGMENT_MAX_MS} ms "
                           f"in steps of {UNIT_MS}"))  # fmt: skip
            continue
        if lv:
            if lv < LEVEL_MIN:
                out.append((i, f"level {lv} is too weak to spin the motor; allowed 0 (a gap) "
                               f"or {LEVEL_MIN} to 255"))  # fmt: skip
            elif ms < ON_MIN_MS:
                out.append((i, f"a pulse of {ms} ms is too short to feel; at least {ON_MIN_MS} ms"))
            if gap and gap < GAP_MIN_MS:
                out.append((i - 1, f"a gap of {gap} ms merges the pulses around it; "
                                   f"gaps are at least {GAP_MIN_MS} ms"))  # fmt: skip
            gap = 0
            on += ms
            if on > RUN_MAX_MS and on - ms <= RUN_MAX_MS:
                out.append((i, f"{on} ms on without a gap; the motor is on at most "
                               f"{RUN_MAX_MS} ms at a time (put a gap of {GAP_MIN_MS} ms in)"))  # fmt: skip
        else:
            if i == 0 or i == len(p) - 1:
                where = "starts" if i == 0 else "ends"
                out.append((i, f"the pattern {where} with a gap; it starts and ends with a pulse"))
            on = 0
            gap += ms
    return out


def rhythm(p: Pattern) -> tuple[int, ...]:
    """What is felt of a pattern apart from strength: the lengths of its pulses and
    gaps (neighbouring on segments make one pulse), to the nearest 100 ms."""
    runs: list[int] = []
    was_on: bool | None = None
    for lv, ms in p:
        if was_on is not None and bool(lv) == was_on:
            runs[-1] += ms
        else:
            runs.append(ms)
        was_on = bool(lv)
    return tuple((r + 50) // 100 for r in runs)


def describe(p: Pattern) -> str:
    r = rhythm(p)
    pulses = r[::2]
    if len(pulses) == 1:
        return f"one {pulses[0] * 100} ms pulse"
    return f"{len(pulses)} pulses of {'/'.join(str(x * 100) for x in pulses)} ms"


def to_units(p: Pattern) -> bytes:
    """The pattern as a table record: segment count, then (level, time in 10 ms)."""
    return bytes([len(p)]) + b"".join(bytes((lv, ms // UNIT_MS)) for lv, ms in p)


def from_units(raw: bytes) -> Pattern:
    return tuple((raw[1 + 2 * i], raw[2 + 2 * i] * UNIT_MS) for i in range(raw[0]))
