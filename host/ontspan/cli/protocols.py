"""`ontspan check`, `ontspan compile` and `ontspan preview`: protocols before the device."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .. import catalog
from ..errors import EXIT_OK, EXIT_USAGE, InputError, OntspanError
from ..plan.check import check_plans
from ..protocols.checker import Diagnostic
from ..protocols.compiler import CompileError, compile_table, table_crc, table_names
from ..protocols.files import check_paths
from ..protocols.model import Protocol
from ..protocols.parser import load_protocol
from ..textsafe import for_terminal


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="check protocol files (errors and warnings)")
    p.add_argument("files", nargs="+", metavar="FILE", help="protocol .toml files or folders")
    p.add_argument("--json", action="store_true", help="print the diagnostics as JSON")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("compile", help="compile protocols into a table for the device")
    p.add_argument("files", nargs="+", metavar="FILE|DIR", help="protocol .toml files or folders")
    p.add_argument(
        "-o", "--output", default="build/table.bin", help="table file (default build/table.bin)"
    )
    p.set_defaults(handler=cmd_compile)

    p = sub.add_parser("preview", help="draw (or list) the cue timeline of one protocol")
    p.add_argument("file", metavar="FILE", help="one protocol .toml file, or a library name")
    p.add_argument("-o", "--output", help="picture to write, .png or .svg")
    p.add_argument("--json", action="store_true", help="print each cue edge with its light and motor as JSON")
    p.add_argument("--night", action="store_true", help="as the device plays it at night (caps, colours)")
    p.add_argument(
        "--terminal", action="store_true", help="play it through the firmware engine here"
    )
    p.add_argument(
        "--speed", type=int, default=10, help="--terminal: times faster than real time (default 10)"
    )
    p.set_defaults(handler=cmd_preview)


def _summary(diags: list[Diagnostic], files: int) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    return f"{files} file(s) checked: {errors} error(s), {warnings} warning(s)"


def cmd_check(args: argparse.Namespace) -> int:
    plans, diags, files = check_plans(args.files)  # files with a [plan] table are plans
    protos, proto_diags = check_paths(files) if files or not plans else ([], [])
    diags += proto_diags
    failed = any(d.severity == "error" for d in diags)
    if args.json:
        doc = {
            "ok": not failed,
            "protocols": [{"id": p.id, "name": p.name, "path": p.path} for p in protos],
            "plans": plans,
            "diagnostics": [d.to_json() for d in diags],
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        for d in diags:
            print(d)
        paths = {d.path for d in diags} | {p.path for p in protos} | set(plans)
        print(_summary(diags, len(paths)))
    return EXIT_USAGE if failed else EXIT_OK


def cmd_compile(args: argparse.Namespace) -> int:
    protos, diags = check_paths(args.files, table=False)
    for d in diags:
        print(d, file=sys.stderr)
    if any(d.severity == "error" for d in diags):
        print("ontspan: not compiled: fix the errors above", file=sys.stderr)
        return EXIT_USAGE
    try:
        table = compile_table(protos)
    except CompileError as e:
        print(for_terminal(f"ontspan: {e}"), file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.output)
    names_path = out.with_name(out.stem + ".names.json")
    names = json.dumps(table_names(protos), indent=2, ensure_ascii=False) + "\n"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(out, table)
        _write_atomic(names_path, names.encode("utf-8"))
    except OSError as e:
        raise OntspanError(f"cannot write {out}: {e.strerror or e}") from e
    print(
        f"wrote {out}: {len(table)} bytes, {len(protos)} protocol(s), CRC {table_crc(table)}"
        f" (names in {names_path})"
    )
    return EXIT_OK


def _write_atomic(path: Path, data: bytes) -> None:
    """Never leave a half-written table: write beside it, then rename over it."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _load_one(path: str) -> Protocol:
    proto, diags = load_protocol(path)
    for d in diags:
        print(d, file=sys.stderr)
    if proto is None:
        raise InputError(f"{path} has errors; run `ontspan check {path}`")
    return proto


def cmd_preview(args: argparse.Namespace) -> int:
    args.file = str(catalog.resolve(args.file))
    if args.terminal:
        from ..preview.terminal import play

        return int(play(args.file, speed=args.speed, night=args.night) or 0)
    from .preview import run  # the firmware's own light and motor (picture or JSON)

    return run(args)
