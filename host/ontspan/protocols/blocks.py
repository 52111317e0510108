"""The `[[block]]` array: pmr, breath, rest, check and repeat blocks.

Errors are the hard limits of docs/table-format.md; warnings (`_pmr_advice`,
a ramp longer than its block) are clinical recommendations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .checker import Checker, show, tenths_s
from .model import (
    FIRST_CUSTOM_GROUP,
    LIM_BREATH_DS,
    LIM_CHECK_S,
    LIM_CYCLES,
    LIM_FEEL_DS,
    LIM_GAP_DS,
    LIM_LENGTH_S,
    LIM_RAMP_S,
    LIM_REPEAT,
    LIM_REPS,
    LIM_REST_S,
    LIM_TENSE_DS,
    MAX_GROUP_NUMBER,
    MAX_REPEAT_DEPTH,
    PROMPTS,
    STANDARD_GROUPS,
    STANDARD_NUMBERS,
    Block,
    BreathBlock,
    CheckBlock,
    Group,
    PmrBlock,
    RepeatBlock,
    RestBlock,
)
from .positions import KeyPath


class GroupNumbers:
    """Group numbers: a..q are 0..16; custom groups get 17.. by first appearance."""

    def __init__(self) -> None:
        self.by_name: dict[str, int] = {}
        self.explicit: dict[int, str] = {}
        self.pending: list[tuple[str, list[int]]] = []

    def claim(self, ck: Checker, key: KeyPath, name: str, number: int) -> None:
        owner = self.explicit.get(number)
        if owner is not None and owner != name:
            ck.error(
                key + ("number",),
                f"group number {number} is already used by {owner!r}; "
                f"give each custom group its own number from {FIRST_CUSTOM_GROUP} to "
                f"{MAX_GROUP_NUMBER}",
            )
        elif name in self.by_name and self.by_name[name] != number:
            ck.error(
                key + ("number",),
                f"group {name!r} already has number {self.by_name[name]}; one name, one number",
            )
        self.explicit[number] = name
        self.by_name[name] = number


BLOCK_KEYS = {
    "pmr": ("type", "label", "tense_s", "feet_tense_s", "feel_s", "reps", "groups"),
    "breath": (
        "type",
        "label",
        "in_s",
        "hold_s",
        "out_s",
        "pause_s",
        "minutes",
        "seconds",
        "cycles",
        "belly",
        "ramp",
    ),
    "rest": ("type", "label", "minutes", "seconds"),
    "check": ("type", "label", "prompt", "seconds"),
    "repeat": ("type", "count", "blocks"),
}


def parse_blocks(
    ck: Checker, raw: list[Any], key: KeyPath, depth: int, numbers: GroupNumbers
) -> tuple[Block, ...]:
    out: list[Block] = []
    for i, item in enumerate(raw):
        k = key + (i,)
        t = ck.table(item, k, "a block")
        if t is None:
            continue
        btype = t.get("type")
        if btype not in BLOCK_KEYS:
            ck.error(
                k + ("type",),
                f"block `type` is {show(btype)}; allowed: {', '.join(BLOCK_KEYS)}",
            )
            continue
        ck.keys(t, k, BLOCK_KEYS[btype])
        label = _label(ck, t, k, btype)
        block: Block | None
        if btype == "pmr":
            block = _pmr(ck, t, k, label, numbers)
        elif btype == "breath":
            block = _breath(ck, t, k, label)
        elif btype == "rest":
            secs = _length_s(ck, t, k, LIM_REST_S, ("minutes", "seconds"))
            block = RestBlock(secs, label) if secs is not None else None
        elif btype == "check":
            prompt = ck.choice(t, k, "prompt", PROMPTS)
            secs = ck.int_in(t, k, "seconds", *LIM_CHECK_S, " s")
            ok = prompt is not None and secs is not None
            block = CheckBlock(prompt or 0, secs or 0, label) if ok else None
        else:
            block = _repeat(ck, t, k, depth, numbers)
        if block is not None:
            out.append(block)
    return tuple(out)


def _label(ck: Checker, t: dict[str, Any], key: KeyPath, btype: str) -> str:
    if "label" not in t:
        return btype
    v = ck.string(t, key, "label", 60)
    return v if v else btype


def _repeat(
    ck: Checker, t: dict[str, Any], key: KeyPath, depth: int, numbers: GroupNumbers
) -> RepeatBlock | None:
    count = ck.int_in(t, key, "count", *LIM_REPEAT)
    if depth + 1 > MAX_REPEAT_DEPTH:
        ck.error(key, f"repeat nested {depth + 1} deep; at most {MAX_REPEAT_DEPTH} levels allowed")
        return None
    raw = t.get("blocks")
    if not isinstance(raw, list) or not raw:
        ck.error(
            key + ("blocks",),
            f"a repeat needs `blocks`, an array of tables ([[block.blocks]]); got {show(raw)}",
        )
        return None
    inner = parse_blocks(ck, raw, key + ("blocks",), depth + 1, numbers)
    if count is None or not inner:
        return None
    return RepeatBlock(count, inner)


GROUP_KEYS = ("standard", "number", "name", "instruction", "feet", "tense_s", "feel_s", "reps")


def _pmr(
    ck: Checker, t: dict[str, Any], key: KeyPath, label: str, numbers: GroupNumbers
) -> PmrBlock | None:
    tense = ck.ds_in(t, key, "tense_s", LIM_TENSE_DS) if "tense_s" in t else 60
    feet_tense = ck.ds_in(t, key, "feet_tense_s", LIM_TENSE_DS) if "feet_tense_s" in t else 25
    feel = ck.ds_in(t, key, "feel_s", LIM_FEEL_DS) if "feel_s" in t else 250
    reps = ck.int_in(t, key, "reps", *LIM_REPS) if "reps" in t else 2
    raw = t.get("groups")
    if not isinstance(raw, list) or not raw:
        ck.error(
            key + ("groups",),
            f"a pmr block needs `groups`, a non-empty array; got {show(raw)}",
        )
        return None
    if len(raw) > 255:
        ck.error(key + ("groups",), f"{len(raw)} groups in one block; at most 255 allowed")
        return None
    if tense is None or feet_tense is None or feel is None or reps is None:
        return None
    groups = []
    for j, item in enumerate(raw):
        g = _group(ck, item, key + ("groups", j), (tense, feet_tense, feel, reps), numbers)
        if g is not None:
            groups.append(g)
    if len(groups) != len(raw):
        return None
    return PmrBlock(tuple(groups), label)


def _group(
    ck: Checker,
    item: Any,
    key: KeyPath,
    defaults: tuple[int, int, int, int],
    numbers: GroupNumbers,
) -> Group | None:
    if isinstance(item, str):
        item = {"standard": item}
    t = ck.table(item, key, "a group (a letter a..q or a table)")
    if t is None:
        return None
    ck.keys(t, key, GROUP_KEYS)
    letters = ", ".join(STANDARD_GROUPS)
    name = instruction = None
    feet = False
    number: int | None = None
    if "standard" in t:
        letter = t["standard"]
        if letter not in STANDARD_GROUPS:
            ck.error(
                key + ("standard",),
                f"`standard` is {show(letter)}; allowed the standard group letters {letters}",
            )
            return None
        name, instruction, feet = STANDARD_GROUPS[letter]
        number = STANDARD_NUMBERS[letter]
        if "number" in t:
            ck.error(
                key + ("number",),
                f"standard group {letter!r} is number {number}; `number` is only for custom groups",
            )
    if "name" in t:
        name = ck.string(t, key, "name", 60)
    if "instruction" in t:
        instruction = ck.string(t, key, "instruction", 300)
    if name is None or not name.strip():
        if "standard" not in t and "name" not in t:
            ck.error(
                key,
                f"a group needs `standard` (one of {letters}) or a `name` for a custom group",
            )
        elif "name" in t:
            ck.error(key + ("name",), "`name` is empty; give the group a name")
        return None
    if "feet" in t:
        feet = ck.boolean(t, key, "feet", feet)
    if number is None:
        if "number" in t:
            number = ck.int_in(t, key, "number", FIRST_CUSTOM_GROUP, MAX_GROUP_NUMBER)
            if number is None:
                return None
            numbers.claim(ck, key, name, number)
        else:
            number = _auto_number(ck, key, name, numbers)
            if number is None:
                return None
    tense_default = defaults[1] if feet else defaults[0]
    tense = ck.ds_in(t, key, "tense_s", LIM_TENSE_DS) if "tense_s" in t else tense_default
    feel = ck.ds_in(t, key, "feel_s", LIM_FEEL_DS) if "feel_s" in t else defaults[2]
    reps = ck.int_in(t, key, "reps", *LIM_REPS) if "reps" in t else defaults[3]
    if tense is None or feel is None or reps is None:
        return None
    _pmr_advice(ck, key, feet, tense, feel, reps)
    return Group(number, name, instruction or "", tense, feel, reps, feet)


def _auto_number(ck: Checker, key: KeyPath, name: str, numbers: GroupNumbers) -> int | None:
    if name in numbers.by_name:
        return numbers.by_name[name]
    used = set(numbers.by_name.values()) | set(numbers.explicit)
    n = FIRST_CUSTOM_GROUP
    while n in used:
        n += 1
    if n > MAX_GROUP_NUMBER:
        ck.error(key, f"more than {MAX_GROUP_NUMBER - FIRST_CUSTOM_GROUP + 1} custom groups")
        return None
    numbers.by_name[name] = n
    return n


def _pmr_advice(ck: Checker, key: KeyPath, feet: bool, tense: int, feel: int, reps: int) -> None:
    """Clinical recommendations; the device plays these values anyway."""
    tkey = key + ("tense_s",)
    if feet and not 20 <= tense <= 30:
        ck.warn(tkey, f"feet tense for {tenths_s(tense)} s; 2 to 3 s is recommended for feet")
    elif not feet and not 50 <= tense <= 70:
        ck.warn(tkey, f"tense for {tenths_s(tense)} s; 5 to 7 s is recommended (feet 2 to 3 s)")
    if feel < 150:
        ck.warn(
            key + ("feel_s",),
            f"release and feel for {tenths_s(feel)} s; at least 15 s (20 to 30 s) is recommended",
        )
    if not 2 <= reps <= 5:
        ck.warn(key + ("reps",), f"{reps} repetitions; 2 to 5 per group are recommended")


def _length_s(
    ck: Checker, t: dict[str, Any], key: KeyPath, lim: tuple[int, int], names: Sequence[str]
) -> int | None:
    """Exactly one of `names` (minutes/seconds), as whole seconds within `lim`."""
    given = [n for n in names if n in t]
    if len(given) != 1:
        what = "one of " + " or ".join(f"`{n}`" for n in names)
        ck.error(key, f"give exactly {what}; found {len(given)}")
        return None
    n = given[0]
    allowed = f"allowed {lim[0]} to {lim[1]} s ({lim[0] / 60:g} to {lim[1] / 60:g} min)"
    if n == "cycles":
        return ck.int_in(t, key, n, *LIM_CYCLES)
    v = ck.number(t, key, n, integer=(n == "seconds"))
    if v is None:
        return None
    secs = v * 60 if n == "minutes" else v
    if not lim[0] - 1 <= secs <= lim[1] + 1:
        ck.error(key + (n,), f"`{n}` is {v}; {allowed}")
        return None
    if abs(secs - round(secs)) > 1e-6:
        ck.error(key + (n,), f"`{n}` is {v}, not a whole number of seconds; {allowed}")
        return None
    if not lim[0] <= round(secs) <= lim[1]:
        ck.error(key + (n,), f"`{n}` is {v} ({round(secs)} s); {allowed}")
        return None
    return round(secs)


PHASES = ("in_s", "hold_s", "out_s", "pause_s")


def _breath(ck: Checker, t: dict[str, Any], key: KeyPath, label: str) -> BreathBlock | None:
    for req in ("in_s", "out_s"):
        if req not in t:
            ck.error(key, f"missing `{req}` (seconds, 1 to 20 s)")
    given = [n for n in ("minutes", "seconds", "cycles") if n in t]
    cycles = given == ["cycles"]
    if cycles:
        length = ck.int_in(t, key, "cycles", *LIM_CYCLES)
    else:
        length = _length_s(ck, t, key, LIM_LENGTH_S, ("minutes", "seconds", "cycles"))
    belly = ck.boolean(t, key, "belly", False)
    if "ramp" in t:
        ramp = _ramp(ck, t, key)
        if ramp is None or length is None:
            return None
        phases0, phases1, ramp_s = ramp
        if not cycles and ramp_s > length:
            ck.warn(
                key + ("ramp",),
                f"the ramp lasts {ramp_s} s but the block only {length} s; "
                "the end rate is never reached",
            )
    else:
        lims = (LIM_BREATH_DS, LIM_GAP_DS, LIM_BREATH_DS, LIM_GAP_DS)
        got = [
            ck.ds_in(t, key, n, lim) if n in t else 0 for n, lim in zip(PHASES, lims, strict=True)
        ]
        if length is None or any(g is None for g in got) or "in_s" not in t or "out_s" not in t:
            return None
        phases0 = phases1 = tuple(int(g or 0) for g in got)
        ramp_s = 0
    i0, h0, o0, p0 = phases0
    i1, h1, o1, p1 = phases1
    return BreathBlock(i0, h0, o0, p0, i1, h1, o1, p1, ramp_s, length, cycles, belly, label)


def _ramp(
    ck: Checker, t: dict[str, Any], key: KeyPath
) -> tuple[tuple[int, ...], tuple[int, ...], int] | None:
    """Phases at the start and end rate, keeping the proportions of in/hold/out/pause."""
    weights: list[Fraction] = []
    for n in PHASES:
        if n not in t:
            weights.append(Fraction(0))
            continue
        v = ck.number(t, key, n)
        if v is None:
            return None
        if v < 0 or (n in ("in_s", "out_s") and v <= 0):
            ck.error(key + (n,), f"`{n}` is {v}; with a ramp it sets a proportion, must be > 0")
            return None
        weights.append(Fraction(str(v)))
    rkey = key + ("ramp",)
    r = ck.table(t["ramp"], rkey, "`ramp`")
    if r is None:
        return None
    ck.keys(r, rkey, ("from_bpm", "to_bpm", "minutes", "seconds"))
    rates = []
    for n in ("from_bpm", "to_bpm"):
        v = ck.number(r, rkey, n)
        if v is not None and not 1 <= v <= 30:
            ck.error(rkey + (n,), f"`{n}` is {v} breaths/min; allowed 1 to 30")
            v = None
        rates.append(v)
    ramp_s = _length_s(ck, r, rkey, LIM_RAMP_S, ("minutes", "seconds"))
    if ramp_s is None or rates[0] is None or rates[1] is None or "in_s" not in t:
        return None
    total = sum(weights)
    out = []
    for rate_key, rate in zip(("from_bpm", "to_bpm"), rates, strict=True):
        cycle_ds = Fraction(600) / Fraction(str(rate))
        phases = tuple(math.floor(cycle_ds * w / total + Fraction(1, 2)) for w in weights)
        lims = (LIM_BREATH_DS, LIM_GAP_DS, LIM_BREATH_DS, LIM_GAP_DS)
        for n, p, lim in zip(PHASES, phases, lims, strict=True):
            if not lim[0] <= p <= lim[1]:
                ck.error(
                    rkey + (rate_key,),
                    f"at {rate} breaths/min `{n[:-2]}` would last {tenths_s(p)} s; "
                    f"allowed {tenths_s(lim[0])} to {tenths_s(lim[1])} s",
                )
                return None
        out.append(phases)
    return out[0], out[1], ramp_s
