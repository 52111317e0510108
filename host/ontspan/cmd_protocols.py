"""`ontspan check`, `ontspan compile` and `ontspan preview`: protocols before the device."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import catalog
from .errors import EXIT_OK, EXIT_USAGE, InputError, OntspanError
from .plan import check_plans
from .protocols.checker import Diagnostic
from .protocols.compiler import CompileError, compile_table, table_crc, table_names
from .protocols.files import check_paths
from .protocols.model import PmrBlock, Protocol, iter_blocks
from .protocols.parser import load_protocol
from .protocols.timeline import (
    CHECK,
    END,
    HOLD,
    IN,
    KIND_NAMES,
    NONE,
    OUT,
    PAUSE,
    POSITION,
    RELEASE,
    REST,
    TENSE,
    duration_ms,
    edges,
)
from .shared import C


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
    p.add_argument("--json", action="store_true", help="print the cue edges as JSON")
    p.add_argument("--night", action="store_true", help="draw the night colours and brightness")
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
        print(f"ontspan: {e}", file=sys.stderr)
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
        from .terminal_preview import play

        return int(play(args.file, speed=args.speed, night=args.night) or 0)
    proto = _load_one(args.file)
    if args.json:
        print(json.dumps(preview_json(proto), indent=1, ensure_ascii=False))
        return EXIT_OK
    out = Path(args.output or f"build/{proto.name}-timeline.png")
    if out.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"{out}: the picture must be .png or .svg")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        draw(proto, out, night=args.night)
    except OSError as e:
        raise OntspanError(f"cannot write {out}: {e.strerror or e}") from e
    print(f"wrote {out}")
    return EXIT_OK


# ---------------------------------------------------------------- preview


def preview_json(proto: Protocol) -> dict[str, Any]:
    """The cue edges with their block labels and group names, for scripts."""
    blocks = list(iter_blocks(proto.blocks))
    out = []
    for e in edges(proto):
        b = blocks[e.block] if e.block != NONE else None
        group = b.groups[e.group].name if isinstance(b, PmrBlock) and e.group != NONE else None
        out.append(
            {
                "t_ms": e.t_ms,
                "kind": KIND_NAMES[e.kind],
                "block": e.block,
                "group": e.group,
                "block_label": b.label if b is not None else None,  # type: ignore[union-attr]
                "group_name": group,
            }
        )
    return {
        "id": proto.id,
        "name": proto.name,
        "title": proto.title,
        "duration_ms": duration_ms(proto),
        "edges": out,
    }


# light level (fraction of the brightness cap) at the start and end of each cue,
# and which palette colour it uses: a sketch, the engine shapes the real curves
LIGHT = {
    POSITION: (0, 0.3, 0.3),
    TENSE: (0, 1.0, 1.0),
    RELEASE: (1, 1.0, 0.2),
    IN: (2, 0.2, 1.0),
    HOLD: (2, 1.0, 1.0),
    OUT: (2, 1.0, 0.2),
    PAUSE: (2, 0.2, 0.2),
    REST: (3, 0.5, 0.0),
    CHECK: (1, 0.6, 0.6),
    END: (3, 0.3, 0.0),
}


def draw(proto: Protocol, out: Path, *, night: bool = False) -> None:
    """Light (colour, brightness) and motor over time, with block and group labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style = proto.style
    palette = style.night if night else style.day
    cap = (style.night_brightness if night else style.day_brightness) / 255
    es = edges(proto)
    total = duration_ms(proto)
    ends = [e.t_ms for e in es[1:]] + [total]
    blocks = list(iter_blocks(proto.blocks))

    fig, (ax_l, ax_m) = plt.subplots(
        2, 1, figsize=(12, 4.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}
    )
    for e, t1 in zip(es, ends, strict=True):
        ci, a, b = LIGHT[e.kind]
        r, g, bl = palette[ci]
        colour = (r / 255, g / 255, (0 if night else bl) / 255)
        span = [e.t_ms / 60000, t1 / 60000]
        ax_l.fill_between(span, 0, [a * cap, b * cap], color=colour, linewidth=0)
    ax_m.plot(*_motor_curve(proto, es, ends), color="#444444", linewidth=0.8)

    last_block = None
    for e in es:
        x = e.t_ms / 60000
        if e.block != last_block and e.block != NONE:
            last_block = e.block
            ax_l.axvline(x, color="#999999", linewidth=0.6)
            label = blocks[e.block].label  # type: ignore[union-attr]
            ax_l.text(x, 1.02, f" {label}", fontsize=8, va="bottom", clip_on=False)
        if e.kind == POSITION:
            pmr = blocks[e.block]
            assert isinstance(pmr, PmrBlock)
            ax_l.text(x, 0.05, pmr.groups[e.group].name, fontsize=6, rotation=90, va="bottom")
    mins, secs = divmod(round(total / 1000), 60)
    mode = "night" if night else "day"
    fig.suptitle(f"{proto.title} ({proto.name}, id {proto.id}): {mins}:{secs:02d} min, {mode}")
    ax_l.set_ylim(0, 1.0)
    ax_l.set_ylabel("light (0..1 of full)")
    ax_m.set_ylim(0, 1.05)
    ax_m.set_ylabel("motor")
    ax_m.set_xlabel("minutes")
    ax_m.set_xlim(0, total / 60000)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def _motor_curve(
    proto: Protocol, es: list[Any], ends: list[int]
) -> tuple[list[float], list[float]]:
    """A sketch of the motor cues the style asks for (taps, pulse, swell, double pulse)."""
    level = proto.style.motor_strength / 255
    bits = proto.style.patterns
    xs: list[float] = [0.0]
    ys: list[float] = [0.0]

    def bump(t0: int, dur: int, peak: float, swell: bool = False) -> None:
        a, b = t0 / 60000, (t0 + dur) / 60000
        if swell:
            xs.extend([a, b, b])
            ys.extend([0.0, peak, 0.0])
        else:
            xs.extend([a, a, b, b])
            ys.extend([0.0, peak, peak, 0.0])

    for e, t1 in zip(es, ends, strict=True):
        if e.kind == TENSE and bits & C.PATTERN_TAPS:
            for k in range(3):
                bump(e.t_ms + k * 300, 120, level)
        elif e.kind == RELEASE and bits & C.PATTERN_PULSE:
            bump(e.t_ms, 400, level)
        elif e.kind == IN and bits & C.PATTERN_SWELL:
            bump(e.t_ms, t1 - e.t_ms, level * 0.6, swell=True)
        elif e.kind == END and bits & C.PATTERN_DOUBLE:
            bump(e.t_ms, 200, level)
            bump(e.t_ms + 400, 200, level)
    return xs, ys
