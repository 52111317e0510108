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
import re
import sys
import time
from pathlib import Path
from typing import Any

from .compiler import compile_table, table_crc, table_names
from .errors import EXIT_OK, InputError, OntspanError
from .link import Link, LinkError, Status, firmware_is_older
from .ports import ENV_PORT, find_port, list_ports

# what the table decoder's error codes mean (docs/table-format.md)
TABLE_REFUSALS = {
    1: "length: too short, length field wrong, or larger than 8192 bytes",
    2: "magic: not an Ontspan table",
    3: "format version: the firmware reads another table format (update it)",
    4: "CRC: the table is damaged",
    5: "directory: protocol count, style index, duplicate id or program offset",
    6: "opcode: unknown operation, one running past the table, or a missing END",
    7: "structure: REPEAT nesting or counts, PMR groups, too many block operations",
    8: "field limit: a value outside what the device allows",
    9: "duration: a protocol longer than 90 minutes",
}

FLAG_NAMES = {0x01: "table loaded", 0x02: "clock set", 0x04: "night mode", 0x08: "config defaults"}


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


def data_dir() -> Path:
    """$ONTSPAN_DATA, else the user data folder (names of flashed protocols live here)."""
    env = os.environ.get("ONTSPAN_DATA")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ontspan", appauthor=False))


def _names_file(device_id: str) -> Path:
    safe = re.sub(r"[^0-9A-Za-z_-]", "_", device_id) or "unknown"
    return data_dir() / "devices" / f"{safe}.names.json"


def save_names(device_id: str, crc: str, names: dict[str, Any]) -> None:
    """Remember what a table's ids mean; the device stores ids only."""
    path = _names_file(device_id)
    doc = json.dumps({"crc": crc, "names": names}, indent=1, ensure_ascii=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(doc + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        print(f"ontspan: warning: cannot store protocol names in {path}: {e}", file=sys.stderr)


def load_names(device_id: str, crc: str | None) -> dict[str, Any]:
    """Names for the table with `crc` on this device; {} when unknown or for another table."""
    try:
        doc = json.loads(_names_file(device_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or crc is None or doc.get("crc") != crc:
        return {}
    names = doc.get("names")
    return names if isinstance(names, dict) else {}


# INFO keys: firmware/service.py info_doc() is their one definition
def _table_crc_of(info: dict[str, Any]) -> str | None:
    t = info.get("table")
    crc = t.get("crc") if isinstance(t, dict) else None
    return str(crc) if crc else None


def _protocol_ids(info: dict[str, Any]) -> list[int]:
    ids = info.get("protocols", [])
    return [int(i) for i in ids] if isinstance(ids, list) else []


def _device_id(info: dict[str, Any]) -> str:
    return str(info.get("device_id") or "unknown")


def _named(pid: int, names: dict[str, Any]) -> dict[str, Any]:
    entry = names.get(str(pid))
    if isinstance(entry, dict):
        return {"id": pid, "name": entry.get("name"), "title": entry.get("title")}
    return {"id": pid, "name": None, "title": None}


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
    dev_id = _device_id(info)
    crc = _table_crc_of(info)
    names = load_names(dev_id, crc)
    protos = [_named(i, names) for i in _protocol_ids(info)]
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
    from .protocol import check_paths

    protos, diags = check_paths(args.files)
    for d in diags:
        print(d, file=sys.stderr)
    if any(d.severity == "error" for d in diags):
        raise InputError("not flashed: fix the errors above (`ontspan check` shows them too)")
    table = compile_table(protos)
    crc = table_crc(table)
    names = table_names(protos)
    listing = ", ".join(f"{p.name} ({p.id})" for p in sorted(protos, key=lambda p: p.id))
    if args.dry_run:
        print(f"would flash {len(table)} bytes, CRC {crc}, {len(protos)} protocol(s): {listing}")
        return EXIT_OK
    with connect(args) as lk:
        lk.set_clock()  # every visit to the therapist's laptop sets the device clock
        dev_id = _device_id(lk.info())
        bar = _progress_bar(len(table))
        try:
            lk.put_table(table, progress=lambda done, _total: bar.update(done - bar.n))
        except LinkError as e:
            raise OntspanError(_upload_refused(e)) from e
        finally:
            bar.close()
        back = lk.get_table()
        info = lk.info()
    if back != table:
        raise OntspanError(
            f"verify failed: the device holds {len(back)} bytes that differ from the "
            f"{len(table)} sent; flash again"
        )
    dev_crc = _table_crc_of(info)
    if dev_crc is not None and dev_crc != crc:
        raise OntspanError(f"verify failed: the device reports table CRC {dev_crc}, sent {crc}")
    save_names(dev_id, crc, names)
    print(
        f"flashed {len(table)} bytes, CRC {crc}, {len(protos)} protocol(s) to {dev_id}: {listing}"
    )
    return EXIT_OK


def _upload_refused(e: LinkError) -> str:
    """Upload failures in the therapist's words; the old table always stays."""
    keep = "; the device keeps its previous table"
    if e.status == Status.ERR_TABLE_REFUSED and e.detail:
        code = e.detail[0]
        why = TABLE_REFUSALS.get(code, "unknown check")
        return f"upload refused: the device's table check failed on {why} (error {code}){keep}"
    if e.status == Status.ERR_BUSY:
        return (
            "upload refused: a session is playing, paused or waiting for a rating; "
            f"stop it first (`ontspan stop`){keep}"
        )
    if e.status == Status.ERR_TOO_LARGE:
        return f"upload refused: {e}{keep}"
    return f"upload failed: {e}{keep}"


# --- start / stop / status -----------------------------------------------------------


def _resolve(target: str, names: dict[str, Any], ids: list[int]) -> int:
    """A protocol id from a number or a name flashed from this computer."""
    if target.isdigit():
        pid = int(target)
        if not 1 <= pid <= 255:
            raise InputError(f"protocol id {pid} is outside 1..255")
        return pid
    for key, entry in names.items():
        if isinstance(entry, dict) and entry.get("name") == target and key.isdigit():
            return int(key)
    if names:
        known = ", ".join(
            f"{e.get('name')} ({k})"
            for k, e in sorted(names.items(), key=lambda kv: int(kv[0]))
            if isinstance(e, dict)
        )
        raise InputError(f"no protocol named {target!r} on the device; it has: {known}")
    raise InputError(
        f"protocol names for this device's table are unknown here (flashed from another "
        f"computer?): start it by id ({', '.join(map(str, ids)) or 'no protocols loaded'}) "
        "or flash it from here"
    )


def cmd_start(args: argparse.Namespace) -> int:
    with connect(args) as lk:
        info = lk.info()
        ids = _protocol_ids(info)
        names = load_names(_device_id(info), _table_crc_of(info))
        pid = _resolve(args.protocol, names, ids)
        try:
            lk.start(pid)
        except LinkError as e:
            if e.status == Status.ERR_NO_PROTOCOL:
                have = ", ".join(map(str, ids)) or "none: flash a table first"
                raise OntspanError(f"no protocol {pid} on the device (it has: {have})") from e
            raise
    print(f"started {_label(_named(pid, names))}")
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
    names = load_names(_device_id(info), _table_crc_of(info))
    proto = _named(st.protocol, names) if st.protocol else None
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
    from . import install
    from .paths import FIRMWARE_DIR

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
            port, src, trace=args.trace, progress=lambda _name: bar.update(1), say=say
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
    p.add_argument("--firmware", metavar="DIR", help="firmware folder (default: this checkout's)")
    _common(p)
    p.set_defaults(handler=cmd_install)
