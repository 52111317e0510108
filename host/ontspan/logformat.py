"""Practice log records, format version 1: the host side of docs/log-format.md.

Same bytes as firmware/logrecord.py; the golden vectors in tests/vectors/log/
pin both sides.
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from enum import IntEnum
from typing import Any

SIZE = 32
VERSION = 1
NOT_RATED = 255
UNKNOWN_U8 = 255
UNKNOWN_U16 = 0xFFFF

_FMT = struct.Struct("<BBBBIHBBIIIHHBBH")
assert _FMT.size == SIZE


class RecordType(IntEnum):
    START = 0x53  # "S", before the first cue
    END = 0x45  # "E", after the last cue or written at boot for a cut session


class Outcome(IntEnum):
    NONE = 0  # START records
    COMPLETED = 1
    STOPPED = 2  # stopped by the user
    POWER_CUT = 3  # START without END found at the next boot
    FAULT = 4  # the device stopped the session on an error

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.NONE: "in progress",
    Outcome.COMPLETED: "completed",
    Outcome.STOPPED: "stopped by user",
    Outcome.POWER_CUT: "cut by power",
    Outcome.FAULT: "stopped by device fault",
}


class RecordError(ValueError):
    """Bytes that are not a valid version-1 record."""


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), as the firmware computes it."""
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True)
class Record:
    """One decoded record; field meanings in docs/log-format.md."""

    rtype: RecordType
    seq: int
    boot: int
    uptime_s: int  # device uptime at session start
    wall_s: int  # unix seconds at session start, 0 = clock unknown
    protocol: int
    table_crc: int
    planned_s: int
    actual_s: int  # 0xFFFF = unknown (power cut)
    blocks: int  # blocks completed, 255 = unknown
    groups: int  # muscle groups completed, 255 = unknown
    outcome: Outcome
    before: int  # tension 0-10 before, 255 = not rated
    after: int  # tension 0-10 after, 255 = not rated
    version: int = VERSION

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rtype"] = self.rtype.name
        d["outcome"] = self.outcome.name
        return d


def encode(r: Record) -> bytes:
    buf = bytearray(
        _FMT.pack(
            r.rtype, r.version, r.protocol, r.outcome, r.seq, r.boot, r.before, r.after,
            r.uptime_s, r.wall_s, r.table_crc, r.planned_s, r.actual_s, r.blocks, r.groups, 0,
        )
    )
    struct.pack_into("<H", buf, 30, crc16(bytes(buf[:30])))
    return bytes(buf)


def decode(data: bytes) -> Record:
    """Decode and check one 32-byte record; RecordError says what is wrong."""
    if len(data) != SIZE:
        raise RecordError(f"log record is {len(data)} bytes, expected {SIZE}")
    (rtype, version, protocol, outcome, seq, boot, before, after, uptime_s, wall_s,
     table_crc, planned_s, actual_s, blocks, groups, crc) = _FMT.unpack(data)
    if rtype not in (RecordType.START, RecordType.END):
        raise RecordError(f"log record type 0x{rtype:02x} is not START or END")
    if version != VERSION:
        raise RecordError(f"log record version {version} (this tool reads {VERSION})")
    if crc16(bytes(data[:30])) != crc:
        raise RecordError(f"log record seq {seq}: CRC mismatch")
    try:
        oc = Outcome(outcome)
    except ValueError:
        raise RecordError(f"log record seq {seq}: unknown outcome {outcome}") from None
    return Record(
        RecordType(rtype), seq, boot, uptime_s, wall_s, protocol, table_crc, planned_s,
        actual_s, blocks, groups, oc, before, after, version,
    )


def split(blob: bytes) -> Iterator[bytes]:
    """32-byte pieces of a GET_LOGS payload."""
    if len(blob) % SIZE:
        raise RecordError(f"log data of {len(blob)} bytes is not a multiple of {SIZE}")
    for i in range(0, len(blob), SIZE):
        yield bytes(blob[i : i + SIZE])


def end_of(start: Record, actual_s: int, blocks: int, groups: int, outcome: Outcome,
           after: int, seq: int | None = None) -> Record:
    """The END record the device writes for `start` (tests and simulations)."""
    return replace(start, rtype=RecordType.END, seq=start.seq + 1 if seq is None else seq,
                   actual_s=actual_s, blocks=blocks, groups=groups, outcome=outcome,
                   after=after)
