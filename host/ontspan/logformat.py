"""Practice log records, format version 2 (version 1 still reads): the host side
of docs/log-format.md.

The layout constants come from firmware/contract.py, the file the firmware's
logrecord.py uses too; the golden vectors in tests/vectors/log/ pin both sides.
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from enum import IntEnum
from typing import Any

from .firmware import contract as c

SIZE = c.LOG_RECORD_SIZE
VERSION = c.LOG_VERSION
VERSIONS = (c.LOG_VERSION_1, c.LOG_VERSION)
EPOCH_SIZE = c.LOG_EPOCH_SIZE
NOT_RATED = c.LOG_NOT_RATED
NO_MOMENT = c.LOG_NO_MOMENT
UNKNOWN_U8 = c.LOG_UNKNOWN_U8
UNKNOWN_U16 = c.LOG_UNKNOWN_U16
_NIB_NONE = c.LOG_TENSION_NONE

_FMT = struct.Struct(c.LOG_STRUCT)
assert _FMT.size == SIZE


class RecordType(IntEnum):
    """Record types; the values are the contract's."""

    START = c.LOG_START  # before the first cue
    END = c.LOG_END  # after the last cue, or written at boot for a cut session
    MISSED = c.LOG_MISSED  # v2: a planned moment left alone


class Outcome(IntEnum):
    """How a session ended; the values are the contract's."""

    NONE = c.LOG_OUT_NONE  # START and MISSED records
    COMPLETED = c.LOG_OUT_COMPLETED
    STOPPED = c.LOG_OUT_STOPPED  # stopped by the user
    POWER_CUT = c.LOG_OUT_POWER_CUT  # START without END found at the next boot
    FAULT = c.LOG_OUT_FAULT  # the firmware failed during the session
    PAUSED_TOO_LONG = c.LOG_OUT_PAUSED_TOO_LONG  # v2: stopped itself after a long pause

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self.name]


_OUTCOME_LABELS = {
    "NONE": "in progress",
    "COMPLETED": "completed",
    "STOPPED": "stopped by user",
    "POWER_CUT": "cut by power",
    "FAULT": "stopped by device fault",
    "PAUSED_TOO_LONG": "stopped: paused too long",
}
# every LOG_OUT_* of the contract is an Outcome member
assert {k[8:] for k in vars(c) if k.startswith("LOG_OUT_")} == set(Outcome.__members__)


def outcome_label(outcome: int | str) -> str:
    """English name of an outcome, from its value or member name."""
    return _OUTCOME_LABELS[outcome if isinstance(outcome, str) else Outcome(outcome).name]


class RecordError(ValueError):
    """Bytes that are not a valid record of a known version."""


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), as the firmware computes it."""
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True)
class Record:
    """One decoded record; field meanings in docs/log-format.md."""

    rtype: RecordType
    seq: int
    boot: int
    uptime_s: int  # device uptime at session start (MISSED: at the planned moment)
    wall_s: int  # unix seconds at session start, 0 = clock unknown
    protocol: int
    table_crc: int
    planned_s: int
    actual_s: int  # seconds played without pauses (v1: with pauses); 0xFFFF = unknown
    blocks: int  # blocks completed, 255 = unknown
    groups: int  # muscle groups completed, 255 = unknown
    outcome: Outcome
    before: int  # tension 0-10 before, 255 = not rated
    after: int  # tension 0-10 after, 255 = not rated
    version: int = VERSION
    moment: int = NO_MOMENT  # planned moment answered or missed (v2), 255 = none

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rtype"] = self.rtype.name
        d["outcome"] = self.outcome.name
        return d


def _nib(v: int) -> int:
    return v if 0 <= v <= 10 else _NIB_NONE


def encode(r: Record) -> bytes:
    """The record's bytes in its own version (v1 only for START and END)."""
    if r.version == c.LOG_VERSION_1:
        if r.rtype == RecordType.MISSED:
            raise RecordError("version 1 has no MISSED records")
        b10, b11 = r.before, r.after
    elif r.version == VERSION:
        b10, b11 = _nib(r.before) | (_nib(r.after) << 4), r.moment
    else:
        raise RecordError(f"cannot write log record version {r.version}")
    buf = bytearray(
        _FMT.pack(
            r.rtype, r.version, r.protocol, r.outcome, r.seq, r.boot, b10, b11,
            r.uptime_s, r.wall_s, r.table_crc, r.planned_s, r.actual_s, r.blocks, r.groups, 0,
        )
    )
    struct.pack_into("<H", buf, c.LOG_O_CRC, crc16(bytes(buf[: c.LOG_O_CRC])))
    return bytes(buf)


def decode(data: bytes) -> Record:
    """Decode and check one 32-byte record; RecordError says what is wrong."""
    if len(data) != SIZE:
        raise RecordError(f"log record is {len(data)} bytes, expected {SIZE}")
    (rtype, version, protocol, outcome, seq, boot, b10, b11, uptime_s, wall_s,
     table_crc, planned_s, actual_s, blocks, groups, crc) = _FMT.unpack(data)
    if version not in VERSIONS:
        raise RecordError(f"log record version {version} (this tool reads {VERSIONS})")
    types = (RecordType.START, RecordType.END) if version == 1 else tuple(RecordType)
    if rtype not in types:
        raise RecordError(f"log record type 0x{rtype:02x} is not a version-{version} type")
    if crc16(bytes(data[: c.LOG_O_CRC])) != crc:
        raise RecordError(f"log record seq {seq}: CRC mismatch")
    try:
        oc = Outcome(outcome)
    except ValueError:
        raise RecordError(f"log record seq {seq}: unknown outcome {outcome}") from None
    if version == 1:
        if oc == Outcome.PAUSED_TOO_LONG:
            raise RecordError(f"log record seq {seq}: outcome {outcome} is not in version 1")
        before, after, moment = b10, b11, NO_MOMENT
    else:
        lo, hi = b10 & 0x0F, b10 >> 4
        if (lo > 10 and lo != _NIB_NONE) or (hi > 10 and hi != _NIB_NONE):
            raise RecordError(f"log record seq {seq}: tension byte 0x{b10:02x} out of range")
        before = NOT_RATED if lo == _NIB_NONE else lo
        after = NOT_RATED if hi == _NIB_NONE else hi
        moment = b11
    return Record(
        RecordType(rtype), seq, boot, uptime_s, wall_s, protocol, table_crc, planned_s,
        actual_s, blocks, groups, oc, before, after, version, moment,
    )


def split(blob: bytes) -> Iterator[bytes]:
    """32-byte pieces of a GET_LOGS payload (without its epoch prefix)."""
    if len(blob) % SIZE:
        raise RecordError(f"log data of {len(blob)} bytes is not a multiple of {SIZE}")
    for i in range(0, len(blob), SIZE):
        yield bytes(blob[i : i + SIZE])


def split_reply(payload: bytes) -> tuple[str, list[bytes]]:
    """A GET_LOGS reply as (epoch hex, records). Version-2 firmware puts the
    4-byte log epoch first; older firmware sends records only (epoch "")."""
    if len(payload) % SIZE == EPOCH_SIZE:
        return payload[:EPOCH_SIZE].hex(), list(split(payload[EPOCH_SIZE:]))
    return "", list(split(payload))


def end_of(start: Record, actual_s: int, blocks: int, groups: int, outcome: Outcome,
           after: int, seq: int | None = None) -> Record:
    """The END record the device writes for `start` (tests and simulations)."""
    return replace(start, rtype=RecordType.END, seq=start.seq + 1 if seq is None else seq,
                   actual_s=actual_s, blocks=blocks, groups=groups, outcome=outcome,
                   after=after)
