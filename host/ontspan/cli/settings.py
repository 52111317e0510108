"""Device settings commands: the clock, the configuration, installing the firmware."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from ..device import build, install
from ..device.ports import find_port
from ..device.settings import set_config
from ..errors import EXIT_OK, InputError
from ..paths import FIRMWARE_DIR
from .common import _common, _print_json, connect
from .progress import progress_bar

# --- clock ---------------------------------------------------------------------------


def cmd_clock(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        if args.set:
            lk.set_clock()
        c = lk.get_clock()
    drift = c.epoch - int(time.time()) if c.is_set else None
    local = dt.datetime.fromtimestamp(c.epoch, dt.timezone(dt.timedelta(minutes=c.tz_minutes)))
    if args.json:
        _print_json(
            {
                "epoch": c.epoch,
                "utc_offset_min": c.tz_minutes,
                "set": c.is_set,
                "local": local.isoformat(),
                "drift_s": drift,
            }
        )
        return EXIT_OK
    if not c.is_set:
        print("device clock not set since boot (ontspan clock --set)")
        return EXIT_OK
    print(
        f"{local.isoformat(sep=' ')}  ({drift:+d} s from this computer)"
        + (" set" if args.set else "")
    )
    return EXIT_OK


# --- config --------------------------------------------------------------------------


def _parse_assignments(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"{item!r}: write KEY=VALUE, e.g. night_cap=20")
        try:
            out[key] = int(text.strip(), 10)
        except ValueError:
            raise InputError(f"{key}: {text.strip()!r} is not a whole number") from None
    return out


def cmd_config_get(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        cfg = lk.get_config()
    if args.json:
        _print_json(cfg)
    else:
        width = max((len(k) for k in cfg), default=0)
        for k, v in cfg.items():
            print(f"{k:<{width}}  {v}")
    return EXIT_OK


def cmd_config_set(args: argparse.Namespace) -> int:
    values = _parse_assignments(args.assignments)
    with connect(args) as lk:
        cfg = set_config(lk, values)
    print(", ".join(f"{k}={cfg.get(k)}" for k in values))
    return EXIT_OK


# --- install -------------------------------------------------------------------------


def cmd_install(args: argparse.Namespace) -> int:
    port = find_port(args.port)
    src = Path(args.firmware) if args.firmware else FIRMWARE_DIR
    if not src.is_dir():
        raise InputError(f"{src} is not a folder")

    def say(msg: str) -> None:
        print(msg, file=sys.stderr)

    n_files = len(build.firmware_sources(src))
    with progress_bar(total=n_files, unit="file", desc="install", leave=False) as bar:
        moved = None if bar is None else (lambda _name: bar.update(1))
        hello = install.install(
            port, src, trace=args.trace, progress=moved, say=say,
            romfs=args.romfs, force=args.force,
        )
    print(
        f"installed firmware {hello.firmware} on {port} (link {hello.link_major}.{hello.link_minor})"
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """clock, config get|set, install (listed after the other device commands)."""
    p = sub.add_parser("clock", help="show the device clock (--set: set it to this computer's)")
    p.add_argument("--set", action="store_true", help="set it to this computer's time and zone")
    _common(p, json_out=True)
    p.set_defaults(handler=cmd_clock)

    p = sub.add_parser("config", help="read or change the device configuration")
    csub = p.add_subparsers(dest="config_command", metavar="get|set", required=True)
    g = csub.add_parser("get", help="print the configuration")
    _common(g, json_out=True)
    g.set_defaults(handler=cmd_config_get)
    s = csub.add_parser("set", help="change settings: KEY=VALUE (whole numbers)")
    s.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    _common(s)
    s.set_defaults(handler=cmd_config_set)

    p = sub.add_parser(
        "install",
        help="install the firmware on a Pico (or the simulated device) with mpremote",
        description="Compile the firmware to .mpy for the device's architecture (it is asked "
        "first), copy it to the device through a "
        "staging folder, move it into place (main.py last), soft-reset and confirm with HELLO. "
        "Running it again repairs an interrupted install.",
    )
    p.add_argument("--firmware", metavar="DIR", help="firmware folder (default: the one in this package)")
    p.add_argument(
        "--romfs", action=argparse.BooleanOptionalAction, default=None,
        help="modules as a ROMFS image (code runs from flash, saving RAM) or as .mpy files; "
        "default: ROMFS when the device's MicroPython has a ROMFS partition",
    )
    p.add_argument(
        "--force", action="store_true",
        help="stop a session or rating in progress first (logged as stopped); without it "
        "the install is refused while one runs",
    )
    _common(p)
    p.set_defaults(handler=cmd_install)

