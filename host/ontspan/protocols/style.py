"""The `[style]` table of a protocol file: colours, brightness, motor strength and
the motor patterns (a preset, the older on/off switches, per-cue patterns).

Motor patterns are checked with the device's rules (haptics.problems); two kinds
of one style that feel the same (the same rhythm) get a warning, since a patient
tells the cues apart by rhythm with eyes closed, never by strength.
"""

from __future__ import annotations

import re
from typing import Any

from .checker import Checker, show
from .haptics import KINDS, OFF, PRESETS, SWITCHES, Pattern, describe, problems, rhythm
from .model import CUE_KINDS, DEFAULT_DAY, DEFAULT_NIGHT, Style, default_style, rgb
from .positions import KeyPath

STYLE_KEYS = ("day", "night", "day_brightness", "night_brightness", "motor_strength", "haptic",
              *SWITCHES)  # fmt: skip
HAPTIC_KEYS = ("preset", "position", *KINDS)
PRESET_NAMES = ", ".join(repr(p) for p in PRESETS)


def parse_style(ck: Checker, raw: Any) -> Style | None:
    key: KeyPath = ("style",)
    t = ck.table(raw, key, "`style`")
    if t is None:
        return None
    ck.keys(t, key, STYLE_KEYS)
    base = default_style()
    palettes = []
    for which, defaults in (("day", DEFAULT_DAY), ("night", DEFAULT_NIGHT)):
        colours = [rgb(c) for c in defaults]
        if which in t:
            pal = ck.table(t[which], key + (which,), f"`style.{which}`")
            if pal is not None:
                ck.keys(pal, key + (which,), CUE_KINDS)
                for i, kind in enumerate(CUE_KINDS):
                    if kind in pal:
                        c = _colour(ck, pal, key + (which,), kind)
                        if c is not None:
                            colours[i] = c
                if which == "night":
                    blue = [k for i, k in enumerate(CUE_KINDS) if colours[i][2] and k in pal]
                    if blue:
                        ck.warn(
                            key + ("night", blue[0]),
                            "the device plays night colours with blue set to 0; "
                            "use warm colours such as '#b42800' so the preview matches",
                        )
        palettes.append(tuple(colours))

    def level(name: str, lo: int, default: int) -> int:
        if name not in t:
            return default
        v = ck.int_in(t, key, name, lo, 255)
        return default if v is None else v

    motor, position = _motor(ck, t, key)
    return Style(
        day=palettes[0],
        night=palettes[1],
        day_brightness=level("day_brightness", 1, base.day_brightness),
        night_brightness=level("night_brightness", 1, base.night_brightness),
        motor_strength=level("motor_strength", 0, base.motor_strength),
        motor=motor,
        position=position,
    )


def _motor(ck: Checker, t: dict[str, Any], key: KeyPath) -> tuple[tuple[Pattern | None, ...], bool]:
    """Patterns per kind: the preset, then the switches, then the per-cue patterns."""
    raw = t.get("haptic", {})
    hkey = key + ("haptic",)
    preset = "standaard"
    table: dict[str, Any] = {}
    if isinstance(raw, str):
        preset = _preset(ck, raw, hkey) or preset
    elif isinstance(raw, dict):
        table = raw
        ck.keys(table, hkey, HAPTIC_KEYS)
        if "preset" in table:
            v = table["preset"]
            preset = (_preset(ck, v, hkey + ("preset",)) if isinstance(v, str) else None) or preset
            if not isinstance(v, str):
                ck.error(hkey + ("preset",), f"`preset` is {show(v)}; allowed: {PRESET_NAMES}")
    else:
        ck.error(hkey, f"`haptic` is {show(raw)}; allowed: a preset ({PRESET_NAMES}) or a table "
                       "of patterns per cue")  # fmt: skip
    pats, on, position = PRESETS[preset]
    chosen: dict[str, Pattern | None] = {k: (pats[k] if k in on else None) for k in KINDS}
    for name, kinds in SWITCHES.items():
        if name in t:
            felt = ck.boolean(t, key, name, True)
            for k in kinds:
                if k == "position":
                    position = felt
                else:
                    chosen[k] = pats[k] if felt else None
    where: dict[str, KeyPath] = {}
    for k in ("position", *KINDS):
        if k not in table:
            continue
        v = table[k]
        kk = hkey + (k,)
        if isinstance(v, str):
            got = _preset(ck, v, kk, off=True)
            if got is None:
                continue
            if k == "position":
                position = PRESETS[got][2]
            else:
                chosen[k] = None if got == OFF else PRESETS[got][0][k]
        elif k == "position":
            ck.error(kk, f"`position` is {show(v)}; allowed: {PRESET_NAMES} (the counted taps "
                         "are built in: \"uit\" turns them off)")  # fmt: skip
        else:
            p = _pattern(ck, v, kk)
            if p is not None:
                chosen[k] = p
        where[k] = kk
    _same_rhythm(ck, chosen, where, hkey if "haptic" in t else key)
    return tuple(chosen[k] for k in KINDS), position


def _preset(ck: Checker, v: str, key: KeyPath, off: bool = False) -> str | None:
    if v in PRESETS:
        return v
    extra = f"; {OFF!r} turns this cue off" if off else ""
    ck.error(key, f"unknown preset {v!r}; allowed: {PRESET_NAMES}{extra}")
    return None


def _pattern(ck: Checker, v: Any, key: KeyPath) -> Pattern | None:
    shape = ("write a pattern as [[level, ms], ...], e.g. [[255, 200], [0, 150], [255, 200]]: "
             "level 0 is a gap")  # fmt: skip
    if not isinstance(v, list) or not v:
        ck.error(key, f"pattern is {show(v)}; {shape}, or a preset name ({PRESET_NAMES})")
        return None
    segs: list[tuple[int, int]] = []
    for i, seg in enumerate(v):
        ok = (isinstance(seg, list) and len(seg) == 2
              and all(isinstance(x, int) and not isinstance(x, bool) for x in seg))  # fmt: skip
        if not ok:
            ck.error(key + (i,), f"segment is {show(seg)}; {shape}")
            return None
        segs.append((seg[0], seg[1]))
    bad = problems(segs)
    for at, msg in bad:
        ck.error(key if at is None else key + (at,), msg)
    return None if bad else tuple(segs)


def _same_rhythm(
    ck: Checker, chosen: dict[str, Pattern | None], where: dict[str, KeyPath], key: KeyPath
) -> None:
    seen: dict[tuple[int, ...], str] = {}
    for k in KINDS:
        p = chosen[k]
        if p is None:
            continue
        r = rhythm(p)
        if r in seen:
            first = seen[r]
            ck.warn(
                where.get(k, where.get(first, key)),
                f"{first} and {k} feel the same ({describe(p)}); with eyes closed cues are "
                "told apart by rhythm, not strength: give them different pulse counts or lengths",
            )
        else:
            seen[r] = k


def _colour(
    ck: Checker, table: dict[str, Any], key: KeyPath, name: str
) -> tuple[int, int, int] | None:
    v = table.get(name)
    if not isinstance(v, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
        ck.error(key + (name,), f'colour `{name}` is {show(v)}; write it as "#rrggbb"')
        return None
    return rgb(v)
