"""The protocol language: one TOML file per protocol, checked into a `Protocol`.

Checking never raises: every problem, from a missing file to a tense time of
12 s, becomes a `Diagnostic` with the file, the line of the key (where the
source shows it) and the key path, and says what is wrong and what is allowed.
Errors are the hard limits of docs/table-format.md (the device refuses the
same values); warnings are the clinical recommendations. See docs/protocols.md.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import catalog

MAX_FILE_BYTES = 256 * 1024
MAX_SESSION_MS = 90 * 60 * 1000
MAX_BLOCKS = 255  # block indices 0..254 fit a byte; 255 means "none"
MAX_REPEAT_DEPTH = 2

RATINGS = ("none", "after", "before_after")
PROMPTS = ("jaw", "shoulders", "hands", "face", "belly")
CUE_KINDS = ("tense", "release", "breath", "rest")
FIRST_CUSTOM_GROUP = 17
MAX_GROUP_NUMBER = 254

# The 17 standard groups of the clinical PMR sequence: letter -> (name, instruction, feet).
STANDARD_GROUPS: dict[str, tuple[str, str, bool]] = {
    "a": ("rechter voet", "draai de voet naar binnen en knijp met de tenen", True),
    "b": ("rechter onderbeen", "trek de tenen omhoog, richting de neus", False),
    "c": ("rechter bovenbeen", "duw de knieholte in de onderlaag, trek de knieschijf op", False),
    "d": ("linker voet", "draai de voet naar binnen en knijp met de tenen", True),
    "e": ("linker onderbeen", "trek de tenen omhoog, richting de neus", False),
    "f": ("linker bovenbeen", "duw de knieholte in de onderlaag, trek de knieschijf op", False),
    "g": ("billen", "span stevig de billen aan (knijp de billen tegen elkaar)", False),
    "h": ("buik", "maak de buik hard", False),
    "i": ("rechter hand en onderarm", "maak een stevige vuist", False),
    "j": (
        "rechter bovenarm",
        "druk de elleboog in de onderlaag, laat de hand en onderarm ontspannen",
        False,
    ),
    "k": ("linker hand en onderarm", "maak een stevige vuist", False),
    "l": (
        "linker bovenarm",
        "druk de elleboog in de onderlaag, laat de hand en onderarm ontspannen",
        False,
    ),
    "m": (
        "borst, schouders en bovenrug",
        "adem in en druk tegelijkertijd de schouders naar achter en naar elkaar toe",
        False,
    ),
    "n": (
        "nek en keel",
        "druk de kin op de borst en druk tegelijkertijd het hoofd achterover (in het kussen)",
        False,
    ),
    "o": (
        "kaken en onderste deel wangen",
        "klem de kaken op elkaar en trek de mondhoeken naar achter",
        False,
    ),
    "p": ("neus en bovenste deel wangen", "knijp de neusvleugels tegen elkaar", False),
    "q": ("voorhoofd", "trek de wenkbrauwen zo hoog mogelijk op en/of frons het voorhoofd", False),
}
STANDARD_NUMBERS = {letter: n for n, letter in enumerate(STANDARD_GROUPS)}

DEFAULT_DAY = ("#ff8c1a", "#3cb4a0", "#5a8cdc", "#8060c0")
DEFAULT_NIGHT = ("#b42800", "#a86800", "#c85000", "#501400")

# hard limits in table units (ds = 0.1 s), as in docs/table-format.md
LIM_TENSE_DS = (10, 100)
LIM_FEEL_DS = (50, 1200)
LIM_REPS = (1, 10)
LIM_BREATH_DS = (10, 200)
LIM_GAP_DS = (0, 200)
LIM_LENGTH_S = (1, 1800)
LIM_CYCLES = (1, 600)
LIM_RAMP_S = (1, 3600)
LIM_REST_S = (10, 3600)
LIM_CHECK_S = (3, 120)
LIM_REPEAT = (2, 20)

KeyPath = tuple[str | int, ...]


# ---------------------------------------------------------------- model


@dataclass(frozen=True)
class Style:
    """Cue style; identical styles share one 28-byte record in the table."""

    day: tuple[tuple[int, int, int], ...]
    night: tuple[tuple[int, int, int], ...]
    day_brightness: int = 160
    night_brightness: int = 24
    motor_strength: int = 110
    patterns: int = 0b1011

    def to_bytes(self) -> bytes:
        out = bytearray()
        for rgb in (*self.day, *self.night):
            out += bytes(rgb)
        out += bytes(
            (self.day_brightness, self.night_brightness, self.motor_strength, self.patterns)
        )
        return bytes(out)


@dataclass(frozen=True)
class Group:
    number: int
    name: str
    instruction: str
    tense_ds: int
    feel_ds: int
    reps: int
    feet: bool = False


@dataclass(frozen=True)
class PmrBlock:
    groups: tuple[Group, ...]
    label: str = "pmr"


@dataclass(frozen=True)
class BreathBlock:
    """Phases in ds at the start (`*0`) and at the end of the ramp (`*1`)."""

    in0: int
    hold0: int
    out0: int
    pause0: int
    in1: int
    hold1: int
    out1: int
    pause1: int
    ramp_s: int
    length: int
    cycles: bool = False
    belly: bool = False
    label: str = "breath"


@dataclass(frozen=True)
class RestBlock:
    seconds: int
    label: str = "rest"


@dataclass(frozen=True)
class CheckBlock:
    prompt: int
    seconds: int
    label: str = "check"


@dataclass(frozen=True)
class RepeatBlock:
    count: int
    blocks: tuple[Block, ...]


Block = PmrBlock | BreathBlock | RestBlock | CheckBlock | RepeatBlock


@dataclass(frozen=True)
class Protocol:
    id: int
    name: str
    title: str
    blocks: tuple[Block, ...]
    style: Style = field(
        default_factory=lambda: Style(
            tuple(_rgb(c) for c in DEFAULT_DAY), tuple(_rgb(c) for c in DEFAULT_NIGHT)
        )
    )
    description: str = ""
    language: str = "nl"
    version: int = 1
    rating: int = 0
    path: str = ""


def _rgb(text: str) -> tuple[int, int, int]:
    return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))


def default_style() -> Style:
    return Protocol(0, "", "", ()).style


# ---------------------------------------------------------------- diagnostics


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning"
    path: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        loc = f"{self.path}:{self.line}" if self.line else self.path
        where = f"{self.key}: " if self.key else ""
        return f"{loc}: {self.severity}: {where}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "key": self.key,
            "message": self.message,
        }


def format_key(path: KeyPath) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _locate_keys(text: str) -> dict[KeyPath, int]:
    """Map key paths to source lines; a best-effort reading of TOML's line structure."""
    lines: dict[KeyPath, int] = {}
    arrays: dict[KeyPath, int] = {}
    current: KeyPath = ()
    in_string: str | None = None
    array_path: KeyPath | None = None
    depth = 0
    item = -1

    def segs(raw: str) -> list[str]:
        return [s.strip().strip("\"'") for s in raw.split(".")]

    def resolve(parts: Sequence[str]) -> KeyPath:
        out: list[str | int] = []
        for s in parts:
            out.append(s)
            if tuple(out) in arrays:
                out.append(arrays[tuple(out)] - 1)
        return tuple(out)

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        if array_path is not None:
            if depth == 1 and line[:1] in ("{", '"', "'") or line[:1].isdigit():
                item += 1
                lines.setdefault(array_path + (item,), lineno)
                for m in re.finditer(r"([A-Za-z0-9_-]+)\s*=", line):
                    lines.setdefault(array_path + (item, m.group(1)), lineno)
            depth += _bracket_depth(line)
            if depth <= 0:
                array_path = None
            continue
        aot = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", line)
        if aot:
            parts = segs(aot.group(1))
            key = resolve(parts[:-1]) + (parts[-1],)
            arrays[key] = arrays.get(key, 0) + 1
            current = key + (arrays[key] - 1,)
            lines.setdefault(key, lineno)
            lines[current] = lineno
            continue
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = resolve(segs(header.group(1)))
            lines.setdefault(current, lineno)
            continue
        kv = re.match(r"^([A-Za-z0-9_\-.\"' ]+?)\s*=\s*(.*)$", line)
        if not kv:
            continue
        path = current + tuple(segs(kv.group(1)))
        lines.setdefault(path, lineno)
        value = kv.group(2)
        for quote in ('"""', "'''"):
            if value.count(quote) % 2 == 1:
                in_string = quote
        if value.startswith("[") and _bracket_depth(value) > 0:
            array_path, depth, item = path, _bracket_depth(value), -1
    return lines


def _bracket_depth(text: str) -> int:
    text = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'|#.*$", "", text)
    return text.count("[") + text.count("{") - text.count("]") - text.count("}")


class _Checker:
    """Collects diagnostics for one file; knows where keys are in the source."""

    def __init__(self, path: str, text: str = ""):
        self.path = path
        self.lines = _locate_keys(text) if text else {}
        self.diags: list[Diagnostic] = []

    def line_of(self, key: KeyPath) -> int | None:
        for i in range(len(key), 0, -1):
            if key[:i] in self.lines:
                return self.lines[key[:i]]
        return None

    def add(self, severity: str, key: KeyPath, message: str) -> None:
        self.diags.append(
            Diagnostic(severity, self.path, self.line_of(key), format_key(key), message)
        )

    def error(self, key: KeyPath, message: str) -> None:
        self.add("error", key, message)

    def warn(self, key: KeyPath, message: str) -> None:
        self.add("warning", key, message)

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.diags)

    # -- typed getters: report and return None on anything wrong

    def keys(self, table: dict[str, Any], key: KeyPath, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for k in table:
            if k not in allowed:
                close = difflib.get_close_matches(k, allowed, n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                self.error(
                    key + (k,), f"unknown key `{k}`{hint}; allowed here: {', '.join(allowed)}"
                )

    def number(
        self, table: dict[str, Any], key: KeyPath, name: str, *, integer: bool = False
    ) -> int | float | None:
        v = table.get(name)
        what = "a whole number" if integer else "a number"
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.error(key + (name,), f"`{name}` must be {what}, got {_show(v)}")
            return None
        if isinstance(v, float) and (integer or not math.isfinite(v)):
            self.error(key + (name,), f"`{name}` must be {what}, got {v!r}")
            return None
        return v

    def int_in(
        self, table: dict[str, Any], key: KeyPath, name: str, lo: int, hi: int, unit: str = ""
    ) -> int | None:
        v = self.number(table, key, name, integer=True)
        if v is None:
            return None
        if not lo <= v <= hi:
            self.error(key + (name,), f"`{name}` is {v}{unit}; allowed {lo} to {hi}{unit}")
            return None
        return int(v)

    def ds_in(
        self, table: dict[str, Any], key: KeyPath, name: str, lim: tuple[int, int]
    ) -> int | None:
        """Seconds with 0.1 s resolution, as deciseconds within `lim` (ds)."""
        v = self.number(table, key, name)
        if v is None:
            return None
        allowed = f"allowed {_s(lim[0])} to {_s(lim[1])} s in 0.1 s steps"
        if not lim[0] - 1 <= v * 10 <= lim[1] + 1:
            self.error(key + (name,), f"`{name}` is {v} s; {allowed}")
            return None
        tenths = round(v * 10)
        if abs(v * 10 - tenths) > 1e-6:
            self.error(key + (name,), f"`{name}` is {v} s, finer than 0.1 s; {allowed}")
            return None
        if not lim[0] <= tenths <= lim[1]:
            self.error(key + (name,), f"`{name}` is {v} s; {allowed}")
            return None
        return tenths

    def string(
        self, table: dict[str, Any], key: KeyPath, name: str, max_len: int = 200
    ) -> str | None:
        v = table.get(name)
        if not isinstance(v, str):
            self.error(key + (name,), f"`{name}` must be a string, got {_show(v)}")
            return None
        if len(v) > max_len:
            self.error(
                key + (name,), f"`{name}` is {len(v)} characters long; at most {max_len} allowed"
            )
            return None
        return v

    def boolean(self, table: dict[str, Any], key: KeyPath, name: str, default: bool) -> bool:
        v = table.get(name, default)
        if not isinstance(v, bool):
            self.error(key + (name,), f"`{name}` must be true or false, got {_show(v)}")
            return default
        return v

    def choice(
        self, table: dict[str, Any], key: KeyPath, name: str, options: Sequence[str]
    ) -> int | None:
        v = table.get(name)
        if not isinstance(v, str) or v not in options:
            self.error(
                key + (name,),
                f"`{name}` is {_show(v)}; allowed: {', '.join(repr(o) for o in options)}",
            )
            return None
        return options.index(v)

    def table(self, value: Any, key: KeyPath, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(key, f"{what} must be a table, got {_show(value)}")
            return None
        return value


def _show(v: Any) -> str:
    if v is None:
        return "nothing (the key is missing)"
    kind = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "table",
    }.get(type(v), type(v).__name__)
    text = repr(v)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({kind})"


def _s(ds: int) -> str:
    return f"{ds / 10:g}"


# ---------------------------------------------------------------- reading


def read_source(path: str | Path) -> tuple[str | None, list[Diagnostic]]:
    """The file's text, or why it cannot be read (missing, too big, not UTF-8)."""
    p = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        return None, [Diagnostic("error", p, None, "", f"cannot read file: {e.strerror or e}")]
    return decode_source(data, p)


def decode_source(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    if len(data) > MAX_FILE_BYTES:
        msg = f"file is larger than {MAX_FILE_BYTES // 1024} KiB; a protocol file is far smaller"
        return None, [Diagnostic("error", path, None, "", msg)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        msg = f"not UTF-8 text (byte {e.start}); a protocol is a TOML text file"
        return None, [Diagnostic("error", path, None, "", msg)]
    return text, []


def parse_protocol(
    source: str | bytes, path: str = "<string>"
) -> tuple[Protocol | None, list[Diagnostic]]:
    """Check one protocol's TOML source; the protocol is None when there is any error."""
    if isinstance(source, bytes):
        text, diags = decode_source(source, path)
        if text is None:
            return None, diags
    else:
        text = source
    if len(text) > MAX_FILE_BYTES:
        msg = f"larger than {MAX_FILE_BYTES // 1024} KiB; a protocol file is far smaller"
        return None, [Diagnostic("error", path, None, "", msg)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+)", str(e))
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
        return None, [Diagnostic("error", path, line, "", f"not valid TOML: {msg}")]
    except (RecursionError, ValueError) as e:
        return None, [Diagnostic("error", path, None, "", f"not valid TOML: {e}")]
    ck = _Checker(path, text)
    try:
        proto = _protocol(ck, data)
        if proto is not None and not ck.failed:
            _whole(ck, proto)
    except RecursionError:
        ck.error((), "nested too deeply to check")
        proto = None
    diags = sorted(ck.diags, key=lambda d: d.line or 0)
    return (None if ck.failed else proto), diags


def load_protocol(path: str | Path) -> tuple[Protocol | None, list[Diagnostic]]:
    text, diags = read_source(path)
    if text is None:
        return None, diags
    return parse_protocol(text, str(path))


TOP_KEYS = ("id", "name", "title", "description", "language", "version", "rating", "style")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _protocol(ck: _Checker, data: dict[str, Any]) -> Protocol | None:
    ck.keys(data, (), (*TOP_KEYS, "block"))
    for req in ("id", "name", "title", "block"):
        if req not in data:
            ck.error((), f"missing required key `{req}`")
    pid = ck.int_in(data, (), "id", 1, 254) if "id" in data else None
    name = ck.string(data, (), "name", 40) if "name" in data else None
    if name is not None and not SLUG.match(name):
        ck.error(
            ("name",),
            f"`name` is {name!r}; use a slug: lowercase letters, digits and single hyphens",
        )
    title = ck.string(data, (), "title", 80) if "title" in data else None
    if title is not None and not title.strip():
        ck.error(("title",), "`title` is empty; give the protocol a readable title")
    desc = ck.string(data, (), "description", 2000) if "description" in data else ""
    lang = ck.string(data, (), "language", 16) if "language" in data else "nl"
    if lang is not None and not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$", lang):
        ck.error(("language",), f"`language` is {lang!r}; use a language code such as 'nl'")
    version = ck.int_in(data, (), "version", 1, 65535) if "version" in data else 1
    rating = ck.choice(data, (), "rating", RATINGS) if "rating" in data else 0
    style = _style(ck, data["style"]) if "style" in data else default_style()
    blocks: tuple[Block, ...] = ()
    if "block" in data:
        raw = data["block"]
        if not isinstance(raw, list) or not raw:
            ck.error(
                ("block",),
                f"`block` must be an array of tables written as [[block]], got {_show(raw)}",
            )
        else:
            blocks = _blocks(ck, raw, ("block",), 0, _Numbers())
    if ck.failed:
        return None
    assert pid is not None and name is not None and title is not None and style is not None
    return Protocol(
        id=pid,
        name=name,
        title=title,
        description=desc or "",
        language=lang or "nl",
        version=version or 1,
        rating=rating or 0,
        style=style,
        blocks=blocks,
        path=ck.path,
    )


STYLE_KEYS = (
    "day",
    "night",
    "day_brightness",
    "night_brightness",
    "motor_strength",
    "taps_on_tense",
    "pulse_on_release",
    "swell_on_breath",
    "double_pulse_at_end",
)
PATTERN_BITS = ("taps_on_tense", "pulse_on_release", "swell_on_breath", "double_pulse_at_end")


def _style(ck: _Checker, raw: Any) -> Style | None:
    key: KeyPath = ("style",)
    t = ck.table(raw, key, "`style`")
    if t is None:
        return None
    ck.keys(t, key, STYLE_KEYS)
    base = default_style()
    palettes = []
    for which, defaults in (("day", DEFAULT_DAY), ("night", DEFAULT_NIGHT)):
        colours = [_rgb(c) for c in defaults]
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

    patterns = 0
    for bit, name in enumerate(PATTERN_BITS):
        if ck.boolean(t, key, name, bool(base.patterns >> bit & 1)):
            patterns |= 1 << bit
    return Style(
        day=palettes[0],
        night=palettes[1],
        day_brightness=level("day_brightness", 1, base.day_brightness),
        night_brightness=level("night_brightness", 1, base.night_brightness),
        motor_strength=level("motor_strength", 0, base.motor_strength),
        patterns=patterns,
    )


def _colour(
    ck: _Checker, table: dict[str, Any], key: KeyPath, name: str
) -> tuple[int, int, int] | None:
    v = table.get(name)
    if not isinstance(v, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
        ck.error(key + (name,), f'colour `{name}` is {_show(v)}; write it as "#rrggbb"')
        return None
    return _rgb(v)


# ---------------------------------------------------------------- blocks


class _Numbers:
    """Group numbers: a..q are 0..16; custom groups get 17.. by first appearance."""

    def __init__(self) -> None:
        self.by_name: dict[str, int] = {}
        self.explicit: dict[int, str] = {}
        self.pending: list[tuple[str, list[int]]] = []

    def claim(self, ck: _Checker, key: KeyPath, name: str, number: int) -> None:
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


def _blocks(
    ck: _Checker, raw: list[Any], key: KeyPath, depth: int, numbers: _Numbers
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
                f"block `type` is {_show(btype)}; allowed: {', '.join(BLOCK_KEYS)}",
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


def _label(ck: _Checker, t: dict[str, Any], key: KeyPath, btype: str) -> str:
    if "label" not in t:
        return btype
    v = ck.string(t, key, "label", 60)
    return v if v else btype


def _repeat(
    ck: _Checker, t: dict[str, Any], key: KeyPath, depth: int, numbers: _Numbers
) -> RepeatBlock | None:
    count = ck.int_in(t, key, "count", *LIM_REPEAT)
    if depth + 1 > MAX_REPEAT_DEPTH:
        ck.error(key, f"repeat nested {depth + 1} deep; at most {MAX_REPEAT_DEPTH} levels allowed")
        return None
    raw = t.get("blocks")
    if not isinstance(raw, list) or not raw:
        ck.error(
            key + ("blocks",),
            f"a repeat needs `blocks`, an array of tables ([[block.blocks]]); got {_show(raw)}",
        )
        return None
    inner = _blocks(ck, raw, key + ("blocks",), depth + 1, numbers)
    if count is None or not inner:
        return None
    return RepeatBlock(count, inner)


GROUP_KEYS = ("standard", "number", "name", "instruction", "feet", "tense_s", "feel_s", "reps")


def _pmr(
    ck: _Checker, t: dict[str, Any], key: KeyPath, label: str, numbers: _Numbers
) -> PmrBlock | None:
    tense = ck.ds_in(t, key, "tense_s", LIM_TENSE_DS) if "tense_s" in t else 60
    feet_tense = ck.ds_in(t, key, "feet_tense_s", LIM_TENSE_DS) if "feet_tense_s" in t else 25
    feel = ck.ds_in(t, key, "feel_s", LIM_FEEL_DS) if "feel_s" in t else 250
    reps = ck.int_in(t, key, "reps", *LIM_REPS) if "reps" in t else 2
    raw = t.get("groups")
    if not isinstance(raw, list) or not raw:
        ck.error(
            key + ("groups",),
            f"a pmr block needs `groups`, a non-empty array; got {_show(raw)}",
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
    ck: _Checker,
    item: Any,
    key: KeyPath,
    defaults: tuple[int, int, int, int],
    numbers: _Numbers,
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
                f"`standard` is {_show(letter)}; allowed the standard group letters {letters}",
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


def _auto_number(ck: _Checker, key: KeyPath, name: str, numbers: _Numbers) -> int | None:
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


def _pmr_advice(ck: _Checker, key: KeyPath, feet: bool, tense: int, feel: int, reps: int) -> None:
    """Clinical recommendations; the device plays these values anyway."""
    tkey = key + ("tense_s",)
    if feet and not 20 <= tense <= 30:
        ck.warn(tkey, f"feet tense for {_s(tense)} s; 2 to 3 s is recommended for feet")
    elif not feet and not 50 <= tense <= 70:
        ck.warn(tkey, f"tense for {_s(tense)} s; 5 to 7 s is recommended (feet 2 to 3 s)")
    if feel < 150:
        ck.warn(
            key + ("feel_s",),
            f"release and feel for {_s(feel)} s; at least 15 s (20 to 30 s) is recommended",
        )
    if not 2 <= reps <= 5:
        ck.warn(key + ("reps",), f"{reps} repetitions; 2 to 5 per group are recommended")


def _length_s(
    ck: _Checker, t: dict[str, Any], key: KeyPath, lim: tuple[int, int], names: Sequence[str]
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


def _breath(ck: _Checker, t: dict[str, Any], key: KeyPath, label: str) -> BreathBlock | None:
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
    ck: _Checker, t: dict[str, Any], key: KeyPath
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
                    f"at {rate} breaths/min `{n[:-2]}` would last {_s(p)} s; "
                    f"allowed {_s(lim[0])} to {_s(lim[1])} s",
                )
                return None
        out.append(phases)
    return out[0], out[1], ramp_s


# ---------------------------------------------------------------- whole protocol


def iter_blocks(blocks: Iterable[Block]) -> Iterable[Block]:
    """Block ops in program order, each once (repeats not expanded)."""
    for b in blocks:
        if isinstance(b, RepeatBlock):
            yield from iter_blocks(b.blocks)
        else:
            yield b


def _ends_with_rest(blocks: Sequence[Block]) -> bool:
    last = blocks[-1]
    if isinstance(last, RepeatBlock):
        return _ends_with_rest(last.blocks)
    return isinstance(last, RestBlock)


def _whole(ck: _Checker, proto: Protocol) -> None:
    from .compiler import MAX_PROGRAM_BYTES, encode_ops, protocol_ops
    from .timeline import duration_ms

    n = sum(1 for _ in iter_blocks(proto.blocks))
    if n > MAX_BLOCKS:
        ck.error(("block",), f"{n} blocks; at most {MAX_BLOCKS} allowed (repeats count once)")
        return
    size = len(encode_ops(protocol_ops(proto)))
    if size > MAX_PROGRAM_BYTES:
        ck.error(("block",), f"the program is {size} bytes; at most {MAX_PROGRAM_BYTES} fit")
        return
    total = duration_ms(proto)
    if total > MAX_SESSION_MS:
        ck.error(
            ("block",),
            f"the session lasts {total / 60000:.1f} min; at most 90 min allowed",
        )
    has_pmr = any(isinstance(b, PmrBlock) for b in iter_blocks(proto.blocks))
    if has_pmr and not _ends_with_rest(proto.blocks):
        last = len(proto.blocks) - 1
        ck.warn(
            ("block", last),
            "a PMR protocol should end with a rest block (at least 5 minutes of lying relaxed "
            "is recommended)",
        )


# ---------------------------------------------------------------- several files


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories become their *.toml files in name order; a name that is
    no file here is looked up in the standard library (`pmr-17`)."""
    out: list[Path] = []
    for p in paths:
        path = catalog.resolve(p)
        found = sorted(path.glob("*.toml")) if path.is_dir() else [path]
        out.extend(f for f in found if f not in out)
    return out


def check_paths(
    paths: Iterable[str | Path], *, table: bool = True
) -> tuple[list[Protocol], list[Diagnostic]]:
    """Check files one by one, then across files (unique ids and names, table limits)."""
    protos: list[Protocol] = []
    diags: list[Diagnostic] = []
    files = expand_paths(paths)
    if not files:
        diags.append(Diagnostic("error", "(input)", None, "", "no protocol files given or found"))
    for f in files:
        proto, d = load_protocol(f)
        diags.extend(d)
        if proto is not None:
            protos.append(proto)
    diags.extend(_cross(protos))
    if table and protos and not any(d.severity == "error" for d in diags):
        diags.extend(_table_limits(protos))
    return protos, diags


def _cross(protos: Sequence[Protocol]) -> list[Diagnostic]:
    out = []
    seen_id: dict[int, Protocol] = {}
    seen_name: dict[str, Protocol] = {}
    for p in protos:
        ck = _Checker(p.path, _safe_text(p.path))
        if p.id in seen_id:
            q = seen_id[p.id]
            ck.error(("id",), f"id {p.id} is already used by {q.name!r} ({q.path}); ids are unique")
        if p.name in seen_name:
            q = seen_name[p.name]
            ck.error(("name",), f"name {p.name!r} is already used in {q.path}; names are unique")
        seen_id.setdefault(p.id, p)
        seen_name.setdefault(p.name, p)
        out.extend(ck.diags)
    return out


def _safe_text(path: str) -> str:
    text, _ = read_source(path)
    return text or ""


def _table_limits(protos: Sequence[Protocol]) -> list[Diagnostic]:
    from .compiler import CompileError, compile_table

    try:
        compile_table(protos)
    except CompileError as e:
        return [Diagnostic("error", "(table)", None, "", str(e))]
    return []
