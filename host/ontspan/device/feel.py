"""One cue on the device's motor now (FEEL), so therapist and patient tune the
strength together. `ontspan feel` and the app's device panel both call `play`."""

from __future__ import annotations

import struct

from ..errors import InputError
from ..firmware import contract as C
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
