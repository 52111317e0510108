"""One cue on the device's motor now (FEEL), so therapist and patient tune the
strength together. `ontspan feel` and the app's device panel both call `play`."""

from __future__ import annotations

import struct

from ..errors import InputError
from ..firmware import contract as C
from ..protocols.decoder import TableError, decode_table
from ..protocols.haptics import BUILTIN
from ..protocols.model import Protocol
from ..protocols.timeline import CHECK, END, HOLD, IN, OUT, POSITION, RELEASE, REST, TENSE
from .client import Link
from .codec import Status
from .replies import LinkError

CUES = {
    "tense": TENSE,
    "release": RELEASE,
    "in": IN,
    "hold": HOLD,
    "out": OUT,
    "position": POSITION,
    "rest": REST,
    "check": CHECK,
    "end": END,
    "pause": C.FEEL_PAUSE,
    "resume": C.FEEL_RESUME,
    "rating": C.FEEL_RATING,
}
KEEP = 0xFF  # strength byte when none is given: the device's own


def cue_kind(cue: str, count: int = 1, strength: int | None = None) -> int:
    """The cue's kind; InputError for an unknown cue, a count or strength out of range."""
    kind = CUES.get(cue.lower())
    if kind is None:
        raise InputError(f"unknown cue {cue!r}; one of: {', '.join(CUES)}")
    low, top = (0 if kind == C.FEEL_RATING else 1), (4 if kind == POSITION else 10)
    if not low <= count <= top:
        raise InputError(f"--count for {cue} must be in {low}..{top}")
    if strength is not None and not 0 <= strength <= 255:
        raise InputError(f"--strength must be 0..255, not {strength}")
    return kind


def play(lk: Link, kind: int, count: int = 1, strength: int | None = None, *,
         style_flag: int = 0, tried_strength: int | None = None) -> tuple[int, int, bool]:
    """Play one cue; a `strength` is kept on the device for every session. Without one
    the device's kept strength plays, else `tried_strength` (tried, not kept).
    Returns (strength used, milliseconds, kept)."""
    if strength is not None:
        byte, flags = strength, C.FEEL_SAVE
    else:
        byte, flags = KEEP, 0
        kept = int(lk.get_config().get("touch_strength", -1))
        if tried_strength is not None and kept < 0:
            byte = tried_strength
    try:
        reply = lk.request(C.CMD_FEEL, bytes([kind, count, byte, flags | style_flag]))
    except LinkError as e:
        if e.status == Status.ERR_BUSY:
            raise InputError("the device is playing a session or asking a rating; stop it first") from e
        raise
    used, ms = struct.unpack_from(C.FEEL_REPLY, reply)
    return used, ms, bool(flags)


PATTERNED = (TENSE, RELEASE, IN, HOLD, OUT, REST, CHECK, END)


def same_on_device(lk: Link, proto: Protocol, cue: str) -> None:
    """The device's table holds `proto` with the pattern its file gives for `cue`."""
    again = "load it onto the device first (`ontspan flash`), or feel the built-in cue"
    try:
        data = lk.get_table()
        table = decode_table(data) if data else None
    except (LinkError, TableError):
        table = None
    if table is None:
        raise InputError(f"the device has no table to play {proto.name} from; {again}")
    try:
        prog = table.program(proto.id)
    except KeyError:
        raise InputError(f"{proto.name} (id {proto.id}) is not on the device; {again}") from None
    if table.styles[prog.style].pattern_of(cue) != proto.style.pattern_of(cue):
        raise InputError(
            f"the device has another {cue} pattern for {proto.name} than {proto.path or 'its file'}; "
            f"{again}"
        )


def play_as(lk: Link, proto: Protocol, cue: str, count: int = 1, strength: int | None = None,
            *, builtin_here: bool = False) -> tuple[int, int, bool] | None:
    """Play `cue` as `proto`'s style has it: None when that style does not feel it.
    The pattern plays from the device's table, which must hold `proto` as it is
    (same_on_device); with `builtin_here` a built-in pattern plays without it (a
    protocol still being edited, not yet loaded). The patient's kept strength
    wins, else the protocol's is tried."""
    kind = cue_kind(cue, count, strength)
    name = cue.lower()
    style_flag = 0
    if kind in (POSITION, *PATTERNED):
        felt = proto.style.position if kind == POSITION else proto.style.pattern_of(name) is not None
        if not felt:
            return None
        if kind != POSITION:  # position taps are built in: only whether they play is the style's
            count, style_flag = proto.id, C.FEEL_STYLE
            if builtin_here and proto.style.pattern_of(name) == BUILTIN[name]:
                count, style_flag = 1, 0  # the built-in pattern: no table needed
            else:
                same_on_device(lk, proto, name)
    return play(lk, kind, count, strength, style_flag=style_flag,
                tried_strength=proto.style.motor_strength)
