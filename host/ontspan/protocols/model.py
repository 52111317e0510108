"""The protocol model: what a checked protocol file becomes (docs/protocols.md).

Plain frozen dataclasses and the language's fixed vocabulary; no parsing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..shared import C, code_names
from .haptics import BUILTIN, KIND_CODES, KINDS, Pattern, default_motor

MAX_FILE_BYTES = 256 * 1024
MAX_SESSION_MS = C.SESSION_MS_MAX
MAX_BLOCKS = C.BLOCKS_MAX  # block indices 0..254 fit a byte; 255 means "none"
MAX_REPEAT_DEPTH = C.REPEAT_DEPTH

# "none", "after", "before_after": the directory entry's rating mode, by value
RATINGS = tuple(n.lower() for _, n in sorted(code_names("RATING_MODE_").items()))
PROMPTS = ("jaw", "shoulders", "hands", "face", "belly")
CUE_KINDS = ("tense", "release", "breath", "rest")
FIRST_CUSTOM_GROUP = 17
MAX_GROUP_NUMBER = C.GROUP_MAX

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

# hard limits in table units (ds = 0.1 s): the device's (firmware/contract.py);
# a ramp and a breath block's length start at 1 in the language
LIM_TENSE_DS = (C.TENSE_DS_MIN, C.TENSE_DS_MAX)
LIM_FEEL_DS = (C.FEEL_DS_MIN, C.FEEL_DS_MAX)
LIM_REPS = (C.REPS_MIN, C.REPS_MAX)
LIM_BREATH_DS = (C.BREATH_DS_MIN, C.BREATH_DS_MAX)
LIM_GAP_DS = (0, C.GAP_DS_MAX)
LIM_LENGTH_S = (1, C.BREATH_S_MAX)
LIM_CYCLES = (1, C.BREATH_CYCLES_MAX)
LIM_RAMP_S = (1, C.RAMP_S_MAX)
LIM_REST_S = (C.REST_S_MIN, C.REST_S_MAX)
LIM_CHECK_S = (C.CHECK_S_MIN, C.CHECK_S_MAX)
LIM_REPEAT = (C.REPEAT_MIN, C.REPEAT_MAX)
LIM_PROTOCOL_ID = (C.PROTOCOL_ID_MIN, C.PROTOCOL_ID_MAX)


@dataclass(frozen=True)
class Style:
    """Cue style; identical styles share one style record in the table, identical
    motor patterns one pattern record."""

    day: tuple[tuple[int, int, int], ...]
    night: tuple[tuple[int, int, int], ...]
    day_brightness: int = 160
    night_brightness: int = 24
    motor_strength: int = 110
    # per kind of haptics.KINDS its motor pattern, None = not felt
    motor: tuple[Pattern | None, ...] = field(default_factory=default_motor)
    position: bool = True  # POSITION edges tap the body region

    def patterns(self) -> list[Pattern]:
        """The distinct motor patterns the table stores, in kind order: a kind's
        built-in pattern is referred to (PAT_BUILTIN), not stored."""
        out: list[Pattern] = []
        for name, p in zip(KINDS, self.motor, strict=True):
            if p is not None and p != BUILTIN[name] and p not in out:
                out.append(p)
        return out

    def pattern_of(self, kind: str) -> Pattern | None:
        return self.motor[KINDS.index(kind)]

    def to_bytes(self, numbers: dict[Pattern, int]) -> bytes:
        """The style record; `numbers` gives each motor pattern its number (1..P)."""
        out = bytearray()
        for rgb in (*self.day, *self.night):
            out += bytes(rgb)
        out += bytes((self.day_brightness, self.night_brightness, self.motor_strength, 0))
        slots = bytearray(10)
        slots[C.K_POSITION - 1] = 1 if self.position else 0
        for name, p in zip(KINDS, self.motor, strict=True):
            num = C.PAT_BUILTIN if p == BUILTIN[name] else (0 if p is None else numbers[p])
            slots[KIND_CODES[name] - 1] = num
        return bytes(out + slots)


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
            tuple(rgb(c) for c in DEFAULT_DAY), tuple(rgb(c) for c in DEFAULT_NIGHT)
        )
    )
    description: str = ""
    language: str = "nl"
    version: int = 1
    rating: int = 0
    path: str = ""


def rgb(text: str) -> tuple[int, int, int]:
    return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))


def default_style() -> Style:
    return Protocol(0, "", "", ()).style


def iter_blocks(blocks: Iterable[Block]) -> Iterable[Block]:
    """Block ops in program order, each once (repeats not expanded)."""
    for b in blocks:
        if isinstance(b, RepeatBlock):
            yield from iter_blocks(b.blocks)
        else:
            yield b
