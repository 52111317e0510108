"""`ontspan preview FILE [-o PICTURE] [--json] [--night]`: what the device gives
for one protocol, from the firmware itself (preview/device.py): a picture with
the light track over the motor track, or per-edge light and motor as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import EXIT_OK, InputError, OntspanError
from ..preview.device import preview_json
from ..preview.terminal import block_names
from ..protocols.parser import load_protocol


def run(args: argparse.Namespace) -> int:
    proto, diags = load_protocol(args.file)
    for d in diags:
        print(d, file=sys.stderr)
    if proto is None:
        raise InputError(f"{args.file} has errors; run `ontspan check {args.file}`")
    names = block_names(proto)
    if args.json:
        doc = preview_json(proto, night=args.night, names=names)
        print(json.dumps(doc, indent=1, ensure_ascii=False))
        return EXIT_OK
    out = Path(args.output or f"build/{proto.name}-{'night' if args.night else 'day'}.png")
    if out.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"{out}: the picture must be .png or .svg")
    from ..preview.picture import draw

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        draw(proto, out, night=args.night, names=names)
    except OSError as e:
        raise OntspanError(f"cannot write {out}: {e.strerror or e}") from e
    print(f"wrote {out}")
    return EXIT_OK
