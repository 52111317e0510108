"""Reply payloads as values, and error replies as one line for the therapist.

Layouts: docs/link.md. tests/vectors/link/payloads pins them on both sides.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ..errors import OntspanError
from ..shared import C, code_names
from .codec import Cmd, Status

STATUS_TEXT = {
    Status.ERR_CRC: "the device saw a corrupted frame (CRC)",
    Status.ERR_FRAME: "the device saw a badly encoded frame",
    Status.ERR_LENGTH: "the device saw a frame of the wrong length",
    Status.ERR_UNKNOWN_CMD: "the device firmware does not know this command (update it)",
    Status.ERR_PAYLOAD: "the device refused the request's payload",
    Status.ERR_BUSY: "the device is busy (a session is playing?); try again later",
    Status.ERR_STATE: "request out of order",
    Status.ERR_OFFSET: "chunk offset out of order",
    Status.ERR_TABLE_CRC: "the table arrived damaged (CRC mismatch)",
    Status.ERR_TABLE_REFUSED: "the device refused the table",
    Status.ERR_TOO_LARGE: "the table is too large for the device",
    Status.ERR_NO_PROTOCOL: "no such protocol on the device (or no table loaded)",
    Status.ERR_VALUE: "the device refused a value",
    Status.ERR_STORAGE: "the device could not write its flash",
    Status.ERR_INTERNAL: "the device firmware failed on this request",
    Status.ERR_PLAN_REFUSED: "the device refused the plan",
}


# table decoder error codes (docs/table-format.md), for ERR_TABLE_REFUSED
# table decoder error codes (contract E_*), for ERR_TABLE_REFUSED
TABLE_ERRORS = {
    C.E_LENGTH: "length",
    C.E_MAGIC: "magic",
    C.E_VERSION: "format version",
    C.E_CRC: "CRC",
    C.E_DIRECTORY: "directory",
    C.E_OPCODE: "opcode",
    C.E_STRUCTURE: "structure",
    C.E_LIMIT: "field limit",
    C.E_DURATION: "duration",
}
# the same codes in the therapist's words, for a refused upload
TABLE_REFUSALS = {
    C.E_LENGTH: f"length: too short, length field wrong, or larger than {C.TABLE_MAX} bytes",
    C.E_MAGIC: "magic: not an Ontspan table",
    C.E_VERSION: "format version: the firmware reads another table format (update it)",
    C.E_CRC: "CRC: the table is damaged",
    C.E_DIRECTORY: "directory: protocol count, style index, duplicate id or program offset",
    C.E_OPCODE: "opcode: unknown operation, one running past the table, or a missing END",
    C.E_STRUCTURE: "structure: REPEAT nesting or counts, PMR groups, too many block operations",
    C.E_LIMIT: "field limit: a value outside what the device allows",
    C.E_DURATION: f"duration: a protocol longer than {C.SESSION_MS_MAX // 60000} minutes",
}


class LinkError(OntspanError):
    """The device answered with an error status."""

    def __init__(self, cmd: int, status: int, detail: bytes):
        self.cmd = cmd
        self.status = status
        self.detail = detail
        super().__init__(describe_error(cmd, status, detail))


def _name(enum: type[IntEnum], value: int) -> str:
    try:
        return enum(value).name
    except ValueError:
        return f"0x{value:02x}"


def command_name(cmd: int) -> str:
    """HELLO, STATUS, ... or the hex code of a command this host does not know."""
    return _name(Cmd, cmd)


def describe_error(cmd: int, status: int, detail: bytes) -> str:
    """One line for an error reply, with the detail the status carries."""
    try:
        text = STATUS_TEXT[Status(status)]
    except (ValueError, KeyError):
        text = f"unknown error status 0x{status:02x}"
    if status == Status.ERR_TABLE_REFUSED and detail:
        text += f": table {TABLE_ERRORS.get(detail[0], f'error {detail[0]}')} check failed"
    elif status in (Status.ERR_OFFSET, Status.ERR_STATE) and len(detail) >= 4:
        text += f" (device expects offset {struct.unpack_from(C.TABLE_U32, detail)[0]})"
    elif status == Status.ERR_TOO_LARGE and len(detail) >= 4:
        text += f" (at most {struct.unpack_from(C.TABLE_U32, detail)[0]} bytes)"
    elif status in (Status.ERR_VALUE, Status.ERR_INTERNAL) and detail:
        text += ": " + detail.decode("utf-8", "replace")
    elif status == Status.ERR_STORAGE and detail:
        text += f" (errno {detail[0]})"
    return f"{_name(Cmd, cmd)}: {text}"


@dataclass(frozen=True)
class Hello:
    link_major: int
    link_minor: int
    table_version: int
    max_payload: int
    firmware: str


# STATUS flag bits (contract FLAG_*)
FLAG_NAMES = {
    C.FLAG_TABLE: "table loaded",
    C.FLAG_CLOCK: "clock set",
    C.FLAG_NIGHT: "night mode",
    C.FLAG_CONFIG_DEFAULT: "config defaults",
    C.FLAG_PLAN: "plan stored",
    C.FLAG_RTC: "clock module",
    C.FLAG_CLOCK_RTC: "clock from the module",
}

CLOCK_SOURCES = ("rtc", "set", "none")


def clock_source(flags: int) -> str:
    """Where the device's clock came from: "rtc" (the battery-backed module, at boot),
    "set" (SET_CLOCK this boot) or "none" (STATUS/INFO flags, contract FLAG_CLOCK*)."""
    if flags & C.FLAG_CLOCK_RTC:
        return "rtc"
    return "set" if flags & C.FLAG_CLOCK else "none"


def clock_text(flags: int) -> str:
    """The clock's source in the therapist's words."""
    src = clock_source(flags)
    module = bool(flags & C.FLAG_RTC)
    if src == "rtc":
        return "rtc: read from the battery-backed clock module at start-up"
    if src == "set":
        return "set this boot" + (
            ", kept by the clock module" if module else ", lost when unplugged (no clock module)"
        )
    if module:
        return "none: the clock module has lost the time (its battery?); ontspan clock --set"
    return "none: not set since the device started (ontspan clock --set)"


# "idle", "playing", "paused", "rating"
STATE_NAMES = {v: name.lower() for v, name in code_names("STATE_").items()}


@dataclass(frozen=True)
class DeviceStatus:
    state: int  # contract STATE_*
    protocol: int  # 0: none
    flags: int  # contract FLAG_* bits
    elapsed_s: int
    remaining_s: int
    log_count: int

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, str(self.state))

    @property
    def in_session(self) -> bool:
        """Playing, paused or waiting for a rating: a flash, plan, feel or install would
        cut it, so the device refuses those (the busy guard) and the host waits its turn."""
        return self.state in (C.STATE_PLAYING, C.STATE_PAUSED, C.STATE_RATING)


@dataclass(frozen=True)
class DeviceClock:
    epoch: int  # Unix seconds, UTC
    tz_minutes: int
    is_set: bool


def parse_hello(p: bytes) -> Hello:
    """HELLO reply: link major, minor, table format, reserved, max payload u16, firmware."""
    major, minor, table_version, _, max_payload = struct.unpack_from(C.HELLO_REPLY, p)
    text = p[struct.calcsize(C.HELLO_REPLY) :]
    return Hello(major, minor, table_version, max_payload, text.decode("ascii", "replace"))


def parse_status(p: bytes) -> DeviceStatus:
    """STATUS reply: state, protocol, flags, reserved, elapsed_s u16, remaining_s u16, logs u32."""
    state, pid, flags, _, elapsed, remaining, logs = struct.unpack_from(C.STATUS_REPLY, p)
    return DeviceStatus(state, pid, flags, elapsed, remaining, logs)


_LIVE = struct.calcsize(C.INFO_LIVE)
_KEPT = struct.calcsize(C.INFO_KEPT)
_UNKNOWN = 0xFFFFFFFF


def _text(p: bytes, o: int) -> tuple[str, int]:
    n = p[o]
    return p[o + 1 : o + 1 + n].decode("ascii", "replace"), o + 1 + n


def parse_info(p: bytes) -> dict[str, Any]:
    """INFO reply as the device's facts (the document of firmware/infolink.py: info_doc),
    with the link counters under "link" and "measured_s", the uptime second the heap
    and flash figures were taken at. Firmware with link 1.0 sent that document as JSON."""
    if p[:1] == b"{":
        return dict(json.loads(p))
    if len(p) < _LIVE + _KEPT or p[0] != C.INFO_VERSION:
        raise OntspanError(f"the device sent an INFO reply this ontspan cannot read ({len(p)} bytes)")
    (_, flags, selected, table_version, uptime, count, first, last,
     rx, bad, noise, dup, tx, short) = struct.unpack_from(C.INFO_LIVE, p, 0)
    (heap_free, heap_used, flash_free, measured, boot, crc, size, capacity, epoch, faults,
     n_ids, id_len) = struct.unpack_from(C.INFO_KEPT, p, _LIVE)
    o = _LIVE + _KEPT
    device_id = p[o : o + id_len].hex()
    firmware, o = _text(p, o + id_len)
    last_fault, o = _text(p, o)
    ids = list(p[o : o + n_ids])
    if len(ids) != n_ids:
        raise OntspanError("the device sent a short INFO reply")
    has_table = bool(flags & C.FLAG_TABLE)
    return {
        "firmware": firmware,
        "device_id": device_id,
        "table": {"version": table_version, "crc": f"{crc:08x}" if size else None, "size": size},
        "protocols": ids,
        "selected": selected if has_table else None,
        "logs": {"count": count, "capacity": capacity, "first": first, "last": last,
                 "epoch": epoch.hex()},
        "boot": boot,
        "flash_free": -1 if flash_free == _UNKNOWN else flash_free,
        "clock": {"set": bool(flags & C.FLAG_CLOCK), "uptime_s": uptime},
        "config_ok": not flags & C.FLAG_CONFIG_DEFAULT,
        "faults": {"count": faults, "last": last_fault or None},
        "heap": {"free": heap_free, "used": heap_used},
        "measured_s": measured,
        "link": {"rx": rx, "bad": bad, "noise": noise, "dup": dup, "tx": tx, "short": short},
    }


def parse_clock(p: bytes) -> DeviceClock:
    """GET_CLOCK reply: Unix seconds u32, UTC offset in minutes i16, set u8."""
    epoch, tz, is_set = struct.unpack_from(C.CLOCK_REPLY, p)
    return DeviceClock(epoch, tz, bool(is_set))


def firmware_is_older(device: Hello) -> bool:
    """True if the device runs an Ontspan firmware older than this host's."""
    def parts(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v)[:3])

    try:
        return parts(device.firmware) < parts(C.FIRMWARE_VERSION)
    except ValueError:
        return False
