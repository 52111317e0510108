"""The protocol language as a form: every field a file may hold, its kind and its
default, read from a protocol's TOML table (docs/protocols.md, docs/builder.md).

The form knows names and shapes only; what is allowed stays the checker's
(parser, blocks, style): the editor writes what the therapist gives and lets
the checker judge it, so the form says what `ontspan check` says, in its words.
Fields are addressed by the checker's own key paths (`block[1].groups[0].tense_s`),
so a diagnostic lands beside the field it concerns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .blocks import BLOCK_KEYS, GROUP_KEYS
from .checker import Diagnostic, format_key
from .haptics import KINDS, PRESETS
from .model import CUE_KINDS, DEFAULT_DAY, DEFAULT_NIGHT, PROMPTS, RATINGS, STANDARD_GROUPS
from .parser import TOP_KEYS
from .positions import KeyPath
from .style import STYLE_KEYS

# kinds of field: how the form shows a value and reads what is typed
INT, SECONDS, NUMBER, TEXT, LONG_TEXT, CHOICE, BOOL, COLOUR, PATTERN = (
    "int", "seconds", "number", "text", "long_text", "choice", "bool", "colour", "pattern",
)  # fmt: skip


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str
    default: Any = None  # None: required, or no value (the key is left out)
    choices: tuple[str, ...] = ()


def _specs(*specs: Spec) -> dict[str, Spec]:
    return {s.name: s for s in specs}


PRESET_NAMES = tuple(PRESETS)
TOP = _specs(
    Spec("id", INT),
    Spec("name", TEXT),
    Spec("title", TEXT),
    Spec("description", LONG_TEXT, ""),
    Spec("language", TEXT, "nl"),
    Spec("version", INT, 1),
    Spec("rating", CHOICE, "none", RATINGS),
)
STYLE = _specs(
    Spec("day_brightness", INT, 160),
    Spec("night_brightness", INT, 24),
    Spec("motor_strength", INT, 110),
    Spec("taps_on_tense", BOOL),
    Spec("pulse_on_release", BOOL),
    Spec("swell_on_breath", BOOL),
    Spec("double_pulse_at_end", BOOL),
)
COLOURS = {"day": DEFAULT_DAY, "night": DEFAULT_NIGHT}
HAPTIC = _specs(
    Spec("preset", CHOICE, "standaard", PRESET_NAMES),
    Spec("position", CHOICE, None, PRESET_NAMES),
    *(Spec(k, PATTERN) for k in KINDS),
)
BLOCK_TYPES = tuple(BLOCK_KEYS)
LENGTH_SPECS = (Spec("minutes", NUMBER), Spec("seconds", INT))
BLOCKS: dict[str, dict[str, Spec]] = {
    "pmr": _specs(
        Spec("label", TEXT, "pmr"),
        Spec("tense_s", SECONDS, 6),
        Spec("feet_tense_s", SECONDS, 2.5),
        Spec("feel_s", SECONDS, 25),
        Spec("reps", INT, 2),
    ),
    "breath": _specs(
        Spec("label", TEXT, "breath"),
        Spec("in_s", SECONDS),
        Spec("hold_s", SECONDS, 0),
        Spec("out_s", SECONDS),
        Spec("pause_s", SECONDS, 0),
        *LENGTH_SPECS,
        Spec("cycles", INT),
        Spec("belly", BOOL, False),
    ),
    "rest": _specs(Spec("label", TEXT, "rest"), *LENGTH_SPECS),
    "check": _specs(
        Spec("label", TEXT, "check"), Spec("prompt", CHOICE, None, PROMPTS), Spec("seconds", INT)
    ),
    "repeat": _specs(Spec("count", INT)),
}
RAMP = _specs(Spec("from_bpm", NUMBER), Spec("to_bpm", NUMBER), *LENGTH_SPECS)
GROUP = _specs(
    Spec("standard", CHOICE, None, tuple(STANDARD_GROUPS)),
    Spec("name", TEXT),
    Spec("instruction", TEXT),
    Spec("number", INT),
    Spec("feet", BOOL),
    Spec("tense_s", SECONDS),
    Spec("feel_s", SECONDS),
    Spec("reps", INT),
)
# keys of which a table holds at most one: giving one drops the others
EXCLUSIVE = (("minutes", "seconds", "cycles"),)

# the form covers the language: every key the checker allows has a field
assert set(TOP) | {"style", "block"} == set(TOP_KEYS) | {"block"}
assert set(STYLE) | {"day", "night", "haptic"} == set(STYLE_KEYS)
assert all(set(BLOCKS[t]) | {"type", "groups", "ramp", "blocks"} >= set(BLOCK_KEYS[t]) for t in BLOCKS)
assert set(GROUP) == set(GROUP_KEYS)


@dataclass(frozen=True)
class Field:
    """One value of the form: where it is, what it is, and whether the file gives it
    (else `value` is the language's default, or None when there is none)."""

    key: KeyPath
    spec: Spec
    value: Any
    given: bool

    @property
    def path(self) -> str:
        return format_key(self.key)


@dataclass
class BlockForm:
    key: KeyPath
    type: str
    fields: list[Field]
    groups: list[list[Field]] = field(default_factory=list)  # pmr
    ramp: list[Field] = field(default_factory=list)  # breath
    blocks: list[BlockForm] = field(default_factory=list)  # repeat

    @property
    def path(self) -> str:
        return format_key(self.key)


@dataclass
class Form:
    top: list[Field]
    style: list[Field]
    colours: list[Field]
    haptic: list[Field]
    blocks: list[BlockForm]

    def fields(self) -> Iterable[Field]:
        yield from self.top
        yield from self.style
        yield from self.colours
        yield from self.haptic
        for b in self.blocks:
            yield from _block_fields(b)


def _block_fields(b: BlockForm) -> Iterable[Field]:
    yield from b.fields
    yield from b.ramp
    for g in b.groups:
        yield from g
    for inner in b.blocks:
        yield from _block_fields(inner)


def _fields(table: Any, key: KeyPath, specs: dict[str, Spec]) -> list[Field]:
    t = table if isinstance(table, dict) else {}
    return [
        Field(key + (name,), s, t[name] if name in t else s.default, name in t)
        for name, s in specs.items()
    ]


def read_form(data: dict[str, Any]) -> Form:
    """The form of a protocol's TOML table (plain values, as tomllib gives them).
    Values are shown as written, right or wrong: the checker says what is wrong."""
    raw_style = data.get("style")
    style: dict[str, Any] = raw_style if isinstance(raw_style, dict) else {}
    colours = []
    for which, defaults in COLOURS.items():
        raw_pal = style.get(which)
        pal: dict[str, Any] = raw_pal if isinstance(raw_pal, dict) else {}
        for kind, default in zip(CUE_KINDS, defaults, strict=True):
            colours.append(
                Field(("style", which, kind), Spec(kind, COLOUR, default), pal.get(kind, default),
                      kind in pal)  # fmt: skip
            )
    haptic = style.get("haptic", {})
    hkey: KeyPath = ("style", "haptic")
    if isinstance(haptic, str):
        hfields = [Field(hkey + ("preset",), HAPTIC["preset"], haptic, True)]
        hfields += _fields({}, hkey, HAPTIC)[1:]
    else:
        hfields = _fields(haptic, hkey, HAPTIC)
    raw = data.get("block")
    return Form(
        top=_fields(data, (), TOP),
        style=_fields(style, ("style",), STYLE),
        colours=colours,
        haptic=hfields,
        blocks=read_blocks(raw if isinstance(raw, list) else [], ("block",)),
    )


def read_blocks(raw: Sequence[Any], key: KeyPath) -> list[BlockForm]:
    out = []
    for i, b in enumerate(raw):
        k = key + (i,)
        t = b if isinstance(b, dict) else {}
        btype = t.get("type")
        btype = btype if isinstance(btype, str) and btype in BLOCKS else "?"
        form = BlockForm(k, btype, _fields(t, k, BLOCKS.get(btype, {})))
        if btype == "pmr" and isinstance(t.get("groups"), list):
            form.groups = [
                _group_fields(_group_table(g), k + ("groups", j), t)
                for j, g in enumerate(t["groups"])
            ]
        if btype == "breath" and "ramp" in t:
            form.ramp = _fields(t["ramp"], k + ("ramp",), RAMP)
        if btype == "repeat" and isinstance(t.get("blocks"), list):
            form.blocks = read_blocks(t["blocks"], k + ("blocks",))
        out.append(form)
    return out


def _group_fields(g: dict[str, Any], key: KeyPath, block: dict[str, Any]) -> list[Field]:
    """A group's fields; what it leaves out shows the block's value (its default)."""
    pmr = BLOCKS["pmr"]
    feet = g.get("feet", STANDARD_GROUPS.get(g.get("standard", ""), ("", "", False))[2])
    tense = "feet_tense_s" if feet is True else "tense_s"
    inherited = {
        "tense_s": block.get(tense, pmr[tense].default),
        "feel_s": block.get("feel_s", pmr["feel_s"].default),
        "reps": block.get("reps", pmr["reps"].default),
    }
    return [
        f if f.given or f.key[-1] not in inherited else
        Field(f.key, f.spec, inherited[str(f.key[-1])], False)
        for f in _fields(g, key, GROUP)
    ]


def _group_table(g: Any) -> dict[str, Any]:
    return {"standard": g} if isinstance(g, str) else (g if isinstance(g, dict) else {})


def spec_at(data: dict[str, Any], key: KeyPath) -> Spec | None:
    """The spec of the field at `key` in this protocol, None when the language has no
    such field there (the form cannot express what the language cannot)."""
    if not key:
        return None
    if len(key) == 1:
        return TOP.get(str(key[0]))
    if key[0] == "style":
        if len(key) == 2:
            return STYLE.get(str(key[1]))
        if len(key) == 3 and key[1] in COLOURS and key[2] in CUE_KINDS:
            return Spec(str(key[2]), COLOUR, COLOURS[str(key[1])][CUE_KINDS.index(str(key[2]))])
        if len(key) == 3 and key[1] == "haptic":
            return HAPTIC.get(str(key[2]))
        return None
    if key[0] != "block":
        return None
    table: Any = data
    at: KeyPath = ()
    for part in key[:-1]:
        at += (part,)
        table = _step(table, part)
        if table is None:
            return None
    name = str(key[-1])
    if len(at) >= 2 and at[-2] == "groups":
        return GROUP.get(name)
    if at[-1] == "ramp":
        return RAMP.get(name)
    if isinstance(table, dict) and table.get("type") in BLOCKS:
        return BLOCKS[table["type"]].get(name)
    return None


def _step(table: Any, part: str | int) -> Any:
    if isinstance(part, int):
        return table[part] if isinstance(table, list) and -len(table) <= part < len(table) else None
    if isinstance(table, dict):
        got = table.get(part)
        return {} if got is None and part == "ramp" else _group_or(got)
    return None


def _group_or(v: Any) -> Any:
    return {"standard": v} if isinstance(v, str) else v


KEY_PART = re.compile(r"([A-Za-z0-9_-]+)|\[(\d+)\]")


def parse_key(text: str) -> KeyPath:
    """`block[1].groups[0].tense_s` -> ("block", 1, "groups", 0, "tense_s")."""
    out: list[str | int] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
        m = KEY_PART.match(text, pos)
        if not m:
            raise ValueError(f"not a field: {text!r}")
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    return tuple(out)


def by_field(diags: Iterable[Diagnostic], paths: Iterable[str]) -> dict[str, list[Diagnostic]]:
    """Each diagnostic beside the deepest field (or block, group) its key lies in;
    those that concern no field (a whole-file problem) under ""."""
    known = sorted(set(paths), key=len, reverse=True)
    out: dict[str, list[Diagnostic]] = {}
    for d in diags:
        home = next((p for p in known if d.key == p or d.key.startswith((p + ".", p + "["))), "")
        out.setdefault(home, []).append(d)
    return out
