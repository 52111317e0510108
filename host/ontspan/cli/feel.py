"""`ontspan feel CUE [--count N] [--protocol NAME] [--strength N]`: play one cue on
the device's motor now, so therapist and patient tune the strength together.
A --strength is kept on the device (config touch_strength) and every session
uses it; without one the device's kept strength plays, else the protocol's.
With --protocol the cue plays that protocol's own motor pattern, from the table
the device holds (checked to be the one the file gives)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..device.feel import CUES, cue_kind, play, play_as
from ..errors import EXIT_OK, InputError
from ..paths import PROTOCOLS_DIR
from ..protocols.files import check_paths
from ..protocols.model import Protocol
from ..protocols.parser import load_protocol
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


def run(args: argparse.Namespace) -> int:
    kind = cue_kind(args.cue, args.count, args.strength)
    proto = _protocol(args.protocol) if args.protocol else None
    with connect(args) as lk:
        if proto is None:
            used, ms, kept = play(lk, kind, args.count, args.strength)
        else:
            got = play_as(lk, proto, args.cue, args.count, args.strength)
            if got is None:
                print(f"{args.cue}: not felt in {proto.name}'s style")
                return EXIT_OK
            used, ms, kept = got
    kept_note = " (kept on the device)" if kept else ""
    print(f"{args.cue}: {ms} ms at strength {used}{kept_note}")
    return EXIT_OK
