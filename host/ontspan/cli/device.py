"""Device commands: ports, info, flash, start, stop, status; clock, config and
install are in settings.py, the plumbing every command shares in common.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..device.codec import Status
from ..device.live import summary as device_summary
from ..device.names import named, names_for, protocol_ids, resolve
from ..device.ports import ENV_PORT, list_ports
from ..device.replies import FLAG_NAMES, LinkError, clock_source, clock_text
from ..errors import EXIT_OK, OntspanError
from ..shared import C
from ..textsafe import for_terminal
from .common import (  # noqa: F401  (_common, connect: the other command modules take them here)
    WAIT_TEXT,
    _common,
    _label,
    _print_json,
    connect,
    flag_names,
    reminders_wait,
)
from .progress import progress_bar

# --- ports -----------------------------------------------------------------------



def _say(text: str) -> None:
    """A line of output; names and labels come from devices and files: escaped."""
    print(for_terminal(text))

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
        _say(("* " if p.is_pico else "  ") + p.label())
    if not found:
        _say("no USB serial ports found")
    else:
        _say("(* = Raspberry Pi Pico running MicroPython, 2E8A:0005)")
    if env:
        _say(f"{ENV_PORT}={env} (used when --port is not given)")
    return EXIT_OK


# --- info --------------------------------------------------------------------------


def cmd_info(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        doc = device_summary(lk)
        st = lk.status()
    doc["state"] = st.state_name
    doc["reminders_wait_for_clock"] = reminders_wait(st.flags)
    doc["clock_source"] = clock_source(st.flags)
    doc["clock_module"] = bool(st.flags & C.FLAG_RTC)
    if args.json:
        _print_json(doc)
        return EXIT_OK
    t = doc["table"]
    _say(f"device    {doc['device_id']} on {doc['port']}")
    _say(
        f"firmware  {doc['firmware']} (link {doc['link_version']}, table format {doc['table_format']})"
    )
    if t["crc"]:
        _say(f"table     {t['size']} bytes, CRC {t['crc']}, {len(doc['protocols'])} protocol(s)")
        for p in doc["protocols"]:
            title = f"  {p['title']}" if p.get("title") else ""
            _say(f"  {p['id']:>3}  {p['name'] or '(name unknown: flashed elsewhere)'}{title}")
    else:
        _say("table     none loaded (ontspan flash protocols/)")
    _say(f"state     {st.state_name}; {flag_names(st.flags)}; {st.log_count} log record(s)")
    _say(f"clock     {clock_text(st.flags)}")
    if doc["reminders_wait_for_clock"]:
        _say(f"plan      {WAIT_TEXT}")
    heap = doc["device"]["heap"]
    _say(f"heap      {heap['free']} bytes free, {heap['used']} in use (after a collect)")
    faults = doc["device"]["faults"]
    if faults["count"]:
        _say(f"faults    {faults['count']} restart(s) after an error, last: {faults['last']}")
    return EXIT_OK


# --- flash -------------------------------------------------------------------------


def cmd_flash(args: argparse.Namespace) -> int:
    # here, not at the top: flash alone needs it (and it the checker and compiler, when
    # the build cache does not have the table)
    from ..device import flash as flashing

    b = flashing.build_cached(args.files, say=lambda d: print(d, file=sys.stderr))
    size = f"{len(b.table)} bytes, CRC {b.crc}, {b.count} protocol(s)"
    if args.dry_run:
        _say(f"would flash {size}: {b.listing()}")
        return EXIT_OK
    with connect(args) as lk, progress_bar(
        total=len(b.table), unit="B", unit_scale=True, desc="upload", leave=False
    ) as bar:
        moved = None if bar is None else (lambda done, _total: bar.update(done - bar.n))
        dev_id = flashing.flash(lk, b, progress=moved)
    _say(f"flashed {size} to {dev_id}: {b.listing()}")
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
    _say(f"started {_label(named(pid, names))}")
    return EXIT_OK


def cmd_stop(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        lk.stop()
    _say("stopped")
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
                "clock_source": clock_source(st.flags),
                "reminders_wait_for_clock": reminders_wait(st.flags),
            }
        )
        return EXIT_OK
    line = st.state_name
    if proto:
        line += f" {_label(proto)}, {_mmss(st.elapsed_s)} in, {_mmss(st.remaining_s)} to go"
    _say(line)
    _say(f"{flag_names(st.flags)}; {st.log_count} log record(s)")
    _say(f"clock {clock_text(st.flags)}")
    if reminders_wait(st.flags):
        _say(WAIT_TEXT)
    return EXIT_OK


def _mmss(s: int) -> str:
    return f"{s // 60}:{s % 60:02d}"


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

