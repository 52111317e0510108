"""Device commands: ports, info, flash, start, stop, status, clock, config, install.

Every command finds its port the same way (--port, $ONTSPAN_PORT, the one Pico
plugged in), greets the device with HELLO before anything else (so a wrong
firmware or link version fails with one line, not a timeout), and can dump the
wire bytes with --trace.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from . import install
from .device import flash as flashing
from .device.client import Link
from .device.codec import Status
from .device.names import (
    device_id_of,
    load_names,
    named,
    names_for,
    protocol_ids,
    resolve,
    table_crc_of,
)
from .device.replies import FLAG_NAMES, LinkError, firmware_is_older
from .errors import EXIT_OK, InputError, OntspanError
from .paths import FIRMWARE_DIR
from .ports import ENV_PORT, find_port, list_ports
from .shared import C

# --- shared plumbing -----------------------------------------------------------


def _common(p: argparse.ArgumentParser, *, json_out: bool = False) -> None:
    p.add_argument(
        "--port", metavar="PATH", help=f"serial port (default: ${ENV_PORT}, else the Pico found)"
    )
    p.add_argument(
        "--trace", action="store_true", help="hex dump of every byte on the wire (stderr)"
    )
    if json_out:
        p.add_argument("--json", action="store_true", help="machine-readable output")


def connect(args: argparse.Namespace) -> Link:
    """An open link to a device that answered HELLO with a compatible link version."""
    lk = Link(find_port(args.port), trace=bool(getattr(args, "trace", False)))
    try:
        h = lk.hello()
    except BaseException:
        lk.close()
        raise
    if firmware_is_older(h):
        from .firmware.contract import FIRMWARE_VERSION

        print(
            f"ontspan: the device runs Ontspan firmware {h.firmware}, older than this "
            f"ontspan ({FIRMWARE_VERSION}); `ontspan install` updates it",
            file=sys.stderr,
        )
    return lk


def _label(p: dict[str, Any]) -> str:
    return f"{p['name']} (id {p['id']})" if p.get("name") else f"id {p['id']}"


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False))


# --- ports -----------------------------------------------------------------------


def cmd_ports(args: argparse.Namespace) -> int:
    found = list_ports()
    env = os.environ.get(ENV_PORT)
    if args.json:
        _print_json(
            {
                "env_port": env,
                "ports": [
                    {
                        "device": p.device,
                        "description": p.description,
                        "vid": p.vid,
                        "pid": p.pid,
                        "serial_number": p.serial_number,
                        "pico": p.is_pico,
                    }
                    for p in found
                ],
            }
        )
        return EXIT_OK
    for p in found:
        print(("* " if p.is_pico else "  ") + p.label())
    if not found:
        print("no USB serial ports found")
    else:
        print("(* = Raspberry Pi Pico running MicroPython, 2E8A:0005)")
    if env:
        print(f"{ENV_PORT}={env} (used when --port is not given)")
    return EXIT_OK


# --- info --------------------------------------------------------------------------


def device_summary(lk: Link) -> dict[str, Any]:
    """What `info --json` prints: HELLO, INFO and the names known for its table."""
    assert lk.device is not None
    h = lk.device
    info = lk.info()
    dev_id = device_id_of(info)
    crc = table_crc_of(info)
    names = load_names(dev_id, crc)
    protos = [named(i, names) for i in protocol_ids(info)]
    table = info.get("table")
    if not isinstance(table, dict):
        table = {}
    return {
        "port": lk.port,
        "device_id": dev_id,
        "firmware": h.firmware,
        "link_version": f"{h.link_major}.{h.link_minor}",
        "table_format": h.table_version,
        "table": {"crc": crc, "size": table.get("size"), "names_known": bool(names)},
        "protocols": protos,
        "device": info,
    }


def cmd_info(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        doc = device_summary(lk)
        st = lk.status()
    doc["state"] = st.state_name
    if args.json:
        _print_json(doc)
        return EXIT_OK
    t = doc["table"]
    print(f"device    {doc['device_id']} on {doc['port']}")
    print(
        f"firmware  {doc['firmware']} (link {doc['link_version']}, table format {doc['table_format']})"
    )
    if t["crc"]:
        print(f"table     {t['size']} bytes, CRC {t['crc']}, {len(doc['protocols'])} protocol(s)")
        for p in doc["protocols"]:
            title = f"  {p['title']}" if p.get("title") else ""
            print(f"  {p['id']:>3}  {p['name'] or '(name unknown: flashed elsewhere)'}{title}")
    else:
        print("table     none loaded (ontspan flash protocols/)")
    print(f"state     {st.state_name}; {_flags(st.flags)}; {st.log_count} log record(s)")
    heap = doc["device"].get("heap")
    if heap:  # firmware before 0.2 does not report it
        print(f"heap      {heap['free']} bytes free, {heap['used']} in use (after a collect)")
    faults = doc["device"].get("faults") or {}
    if faults.get("count"):
        print(f"faults    {faults['count']} restart(s) after an error, last: {faults.get('last')}")
    return EXIT_OK


def _flags(flags: int) -> str:
    on = [name for bit, name in FLAG_NAMES.items() if flags & bit]
    return ", ".join(on) if on else "no flags"


# --- flash -------------------------------------------------------------------------


def _progress_bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total, unit="B", unit_scale=True, desc="upload", file=sys.stderr,
        leave=False, disable=None,
    )  # fmt: skip


def cmd_flash(args: argparse.Namespace) -> int:
    b = flashing.build(args.files, report=lambda d: print(d, file=sys.stderr))
    size = f"{len(b.table)} bytes, CRC {b.crc}, {len(b.protocols)} protocol(s)"
    if args.dry_run:
        print(f"would flash {size}: {b.listing()}")
        return EXIT_OK
    with connect(args) as lk:
        bar = _progress_bar(len(b.table))
        try:
            dev_id = flashing.flash(lk, b, progress=lambda done, _total: bar.update(done - bar.n))
        finally:
            bar.close()
    print(f"flashed {size} to {dev_id}: {b.listing()}")
    return EXIT_OK


# --- start / stop / status -----------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        info = lk.info()
        ids = protocol_ids(info)
        names = names_for(info)
        pid = resolve(args.protocol, names, ids)
        try:
            lk.start(pid)
        except LinkError as e:
            if e.status == Status.ERR_NO_PROTOCOL:
                have = ", ".join(map(str, ids)) or "none: flash a table first"
                raise OntspanError(f"no protocol {pid} on the device (it has: {have})") from e
            raise
    print(f"started {_label(named(pid, names))}")
    return EXIT_OK


def cmd_stop(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        lk.stop()
    print("stopped")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        st = lk.status()
        info = lk.info()
    names = names_for(info)
    proto = named(st.protocol, names) if st.protocol else None
    if args.json:
        _print_json(
            {
                "state": st.state_name,
                "protocol": proto,
                "elapsed_s": st.elapsed_s,
                "remaining_s": st.remaining_s,
                "log_count": st.log_count,
                "flags": {name: bool(st.flags & bit) for bit, name in FLAG_NAMES.items()},
            }
        )
        return EXIT_OK
    line = st.state_name
    if proto:
        line += f" {_label(proto)}, {_mmss(st.elapsed_s)} in, {_mmss(st.remaining_s)} to go"
    print(line)
    print(f"{_flags(st.flags)}; {st.log_count} log record(s)")
    if st.flags & C.FLAG_PLAN and not st.flags & C.FLAG_CLOCK:  # docs/plans.md
        print("plan reminders wait for the clock (ontspan clock --set)")
    return EXIT_OK


def _mmss(s: int) -> str:
    return f"{s // 60}:{s % 60:02d}"


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
        current = lk.get_config()
        unknown = [k for k in values if k not in current]
        if unknown:
            raise InputError(
                f"unknown setting {unknown[0]!r}; the device has: {', '.join(sorted(current))}"
            )
        try:
            lk.set_config(values)
        except LinkError as e:
            if e.status == Status.ERR_BUSY:
                raise OntspanError(
                    "config not changed: a session is playing, paused or waiting for a "
                    "rating; stop it first (`ontspan stop`)"
                ) from e
            if e.status == Status.ERR_VALUE:
                key = e.detail.decode("utf-8", "replace")
                shown = f"{key}={values[key]}" if key in values else key
                raise InputError(
                    f"the device refused {shown} (outside its allowed range); nothing was changed"
                ) from e
            raise
        cfg = lk.get_config()
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

    from tqdm import tqdm

    n_files = len(install.firmware_sources(src))
    with tqdm(total=n_files, unit="file", desc="install", file=sys.stderr, leave=False,
              disable=None) as bar:  # fmt: skip
        hello = install.install(
            port, src, trace=args.trace, progress=lambda _name: bar.update(1), say=say,
            romfs=args.romfs,
        )
    print(
        f"installed firmware {hello.firmware} on {port} (link {hello.link_major}.{hello.link_minor})"
    )
    return EXIT_OK


# --- registration ----------------------------------------------------------------------


def register(sub: Any) -> None:
    p = sub.add_parser("ports", help="list serial ports (the Pico marked)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_ports)

    p = sub.add_parser("info", help="firmware, table and protocols on the device")
    _common(p, json_out=True)
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("flash", help="check, compile, upload and verify protocols")
    p.add_argument("files", nargs="+", metavar="FILE|DIR", help="protocol .toml files or folders")
    p.add_argument("--dry-run", action="store_true", help="check and compile only; no device")
    _common(p)
    p.set_defaults(handler=cmd_flash)

    p = sub.add_parser("start", help="start a protocol on the device")
    p.add_argument("protocol", metavar="NAME|ID", help="protocol name (as flashed) or id")
    _common(p)
    p.set_defaults(handler=cmd_start)

    p = sub.add_parser("stop", help="stop the session playing on the device")
    _common(p)
    p.set_defaults(handler=cmd_stop)

    p = sub.add_parser("status", help="what the device is doing")
    _common(p, json_out=True)
    p.set_defaults(handler=cmd_status)

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
        description="Compile the firmware to .mpy bytecode, copy it to the device through a "
        "staging folder, move it into place (main.py last), soft-reset and confirm with HELLO. "
        "Running it again repairs an interrupted install.",
    )
    p.add_argument("--firmware", metavar="DIR", help="firmware folder (default: the one in this package)")
    p.add_argument(
        "--romfs", action=argparse.BooleanOptionalAction, default=None,
        help="modules as a ROMFS image (code runs from flash, saving RAM) or as .mpy files; "
        "default: ROMFS when the device's MicroPython has a ROMFS partition",
    )
    _common(p)
    p.set_defaults(handler=cmd_install)
