"""`ontspan feel CUE [--count N] [--protocol NAME] [--strength N]`: play one cue on
the device's motor now, so therapist and patient tune the strength together.
A --strength is kept on the device (config touch_strength) and every session
uses it; without one the device's kept strength plays, else the protocol's.
With --protocol the cue plays that protocol's own motor pattern, from the table
the device holds (checked to be the one the file gives)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..device.client import Link
from ..device.feel import CUES, cue_kind, play
from ..device.replies import LinkError
from ..errors import EXIT_OK, InputError
from ..firmware import contract as C
from ..paths import PROTOCOLS_DIR
from ..protocols.decoder import TableError, decode_table
from ..protocols.files import check_paths
from ..protocols.model import Protocol
from ..protocols.parser import load_protocol
from ..protocols.timeline import CHECK, END, HOLD, IN, OUT, POSITION, RELEASE, REST, TENSE
from .common import _common, connect


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
    kind = cue_kind(args.cue, args.count, args.strength)
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
        used, ms, kept = play(
            lk, kind, count, args.strength, style_flag=style_flag,
            tried_strength=proto.style.motor_strength if proto is not None else None,
        )
    kept_note = " (kept on the device)" if kept else ""
    print(f"{args.cue}: {ms} ms at strength {used}{kept_note}")
    return EXIT_OK
