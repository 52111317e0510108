"""`ontspan feel CUE [--count N] [--protocol NAME] [--strength N]`: play one cue on
the device's motor now, so therapist and patient tune the strength together.
A --strength is kept on the device (config touch_strength) and every session
uses it; without one the device's kept strength plays, else the protocol's.
With --protocol the cue plays that protocol's own motor pattern, from the table
the device holds (checked to be the one the file gives)."""

from __future__ import annotations

import argparse
import struct
from pathlib import Path

from .cmd_common import _common, connect
from .device.client import Link
from .device.codec import Status
from .device.replies import LinkError
from .errors import EXIT_OK, InputError
from .firmware import contract as C
from .paths import PROTOCOLS_DIR
from .protocols.decoder import TableError, decode_table
from .protocols.files import check_paths
from .protocols.model import Protocol
from .protocols.parser import load_protocol
from .protocols.timeline import CHECK, END, HOLD, IN, OUT, POSITION, RELEASE, REST, TENSE

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


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "feel",
        help="play one cue on the device's motor now (tune the strength)",
        description="Play one cue on the device's motor now. --strength keeps that strength "
        "on the device for every session; position and rating take --count taps.",
    )
    p.add_argument("cue", metavar="CUE", help=", ".join(CUES))
    p.add_argument("--count", type=int, default=1, help="position: taps 1..4; rating: value 0..10")
    p.add_argument("--protocol", metavar="NAME", help="feel it as this protocol's style would")
    p.add_argument("--strength", type=int, help="0..255, kept on the device (0 = no motor cues)")
    _common(p)
    p.set_defaults(handler=run)


def _protocol(name: str) -> Protocol:
    path = Path(name)
    if path.suffix == ".toml":
        proto, _ = load_protocol(path)
        if proto is None:
            raise InputError(f"{name} has errors; run `ontspan check {name}`")
        return proto
    protos, _ = check_paths([PROTOCOLS_DIR])
    for p in protos:
        if p.name == name:
            return p
    raise InputError(f"no protocol named {name!r}; known: {', '.join(sorted(p.name for p in protos))}")


PATTERNED = (TENSE, RELEASE, IN, HOLD, OUT, REST, CHECK, END)


def _same_on_device(lk: Link, proto: Protocol, cue: str) -> None:
    """The device's table holds `proto` with the pattern its file gives for `cue`."""
    again = "`ontspan flash` it first, or feel it without --protocol"
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


def run(args: argparse.Namespace) -> int:
    kind = CUES.get(args.cue.lower())
    if kind is None:
        raise InputError(f"unknown cue {args.cue!r}; one of: {', '.join(CUES)}")
    top = 4 if kind == POSITION else 10
    if not (0 if kind == C.FEEL_RATING else 1) <= args.count <= top:
        raise InputError(f"--count for {args.cue} must be in {0 if kind == C.FEEL_RATING else 1}..{top}")
    if args.strength is not None and not 0 <= args.strength <= 255:
        raise InputError(f"--strength must be 0..255, not {args.strength}")
    proto = _protocol(args.protocol) if args.protocol else None
    count, style_flag = args.count, 0
    if proto is not None and kind in (POSITION, *PATTERNED):
        name = args.cue.lower()
        felt = proto.style.position if kind == POSITION else proto.style.pattern_of(name) is not None
        if not felt:
            print(f"{args.cue}: not felt in {proto.name}'s style")
            return EXIT_OK
        if kind != POSITION:  # position taps are built in: only whether they play is the style's
            count, style_flag = proto.id, C.FEEL_STYLE
    with connect(args) as lk:
        if style_flag:
            assert proto is not None
            _same_on_device(lk, proto, args.cue.lower())
        if args.strength is not None:
            strength, flags = args.strength, C.FEEL_SAVE
        else:
            strength, flags = KEEP, 0
            kept = int(lk.get_config().get("touch_strength", -1))
            if proto is not None and kept < 0:
                strength = proto.style.motor_strength  # tried, not kept
        try:
            reply = lk.request(C.CMD_FEEL, bytes([kind, count, strength, flags | style_flag]))
        except LinkError as e:
            if e.status == Status.ERR_BUSY:
                raise InputError("the device is playing a session or asking a rating; stop it first") from e
            raise
    used, ms = struct.unpack_from(C.FEEL_REPLY, reply)
    kept_note = " (kept on the device)" if flags else ""
    print(f"{args.cue}: {ms} ms at strength {used}{kept_note}")
    return EXIT_OK
