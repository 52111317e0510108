# Practice log record, format version 1 (docs/log-format.md).
# Pure encode/decode on a caller's buffer: no file access, no allocation for
# the buffer itself. The same layout is in host/ontspan/logformat.py.

import struct
from array import array

from micropython import const

SIZE = const(32)
VERSION = const(1)

# record types; 0x00 and 0xFF are never valid (zeroed RAM, erased flash)
START = const(0x53)  # "S": written before the first cue
END = const(0x45)  # "E": written after the last cue, or at boot for a cut session

# outcome (END records; START records carry OUT_NONE)
OUT_NONE = const(0)
OUT_COMPLETED = const(1)
OUT_STOPPED = const(2)  # stopped by the user
OUT_POWER_CUT = const(3)  # START without END found at the next boot
OUT_FAULT = const(4)  # the engine stopped the session on an error
OUT_PAUSED_LONG = const(5)  # stopped by the device: paused too long

NOT_RATED = const(255)
UNKNOWN_U8 = const(255)
UNKNOWN_U16 = const(0xFFFF)

# byte offsets (little-endian); see the table in docs/log-format.md
_FMT = "<BBBBIHBBIIIHHBBH"
_O_TYPE = const(0)
_O_VERSION = const(1)
_O_PROTOCOL = const(2)
_O_OUTCOME = const(3)
_O_SEQ = const(4)
_O_BOOT = const(8)
_O_BEFORE = const(10)
_O_AFTER = const(11)
_O_UPTIME = const(12)
_O_WALL = const(16)
_O_TABLE_CRC = const(20)
_O_PLANNED = const(24)
_O_ACTUAL = const(26)
_O_BLOCKS = const(28)
_O_GROUPS = const(29)
_O_CRC = const(30)


def _crc_table():
    # CRC-16/CCITT-FALSE (poly 0x1021), the same as CPython's binascii.crc_hqx
    t = array("H", bytes(512))
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        t[i] = c & 0xFFFF
    return t


_CRC_T = _crc_table()


def crc16(buf, off, n):
    """CRC-16/CCITT-FALSE of buf[off:off+n]; no allocation (values stay small ints)."""
    t = _CRC_T
    c = 0xFFFF
    for i in range(off, off + n):
        c = ((c << 8) & 0xFFFF) ^ t[((c >> 8) ^ buf[i]) & 0xFF]
    return c


def seal(buf, off):
    """Store the CRC of bytes 0..29 in bytes 30..31."""
    c = crc16(buf, off, _O_CRC)
    buf[off + _O_CRC] = c & 0xFF
    buf[off + _O_CRC + 1] = c >> 8


def pack_into(
    buf, off, rtype, seq, boot, uptime_s, wall_s, protocol, table_crc,
    planned_s, actual_s, blocks, groups, outcome, before, after,
):
    """Write a whole sealed record at buf[off:off+32]."""
    struct.pack_into(
        _FMT, buf, off, rtype, VERSION, protocol, outcome, seq, boot, before, after,
        uptime_s, wall_s, table_crc, planned_s, actual_s, blocks, groups, 0,
    )
    seal(buf, off)


def finish(buf, off, actual_s, blocks, groups, outcome, after):
    """Turn the START record in buf into its END record (start fields kept)."""
    buf[off + _O_TYPE] = END
    buf[off + _O_OUTCOME] = outcome
    buf[off + _O_AFTER] = after
    buf[off + _O_ACTUAL] = actual_s & 0xFF
    buf[off + _O_ACTUAL + 1] = (actual_s >> 8) & 0xFF
    buf[off + _O_BLOCKS] = blocks
    buf[off + _O_GROUPS] = groups
    seal(buf, off)


def set_seq(buf, off, seq):
    """Stamp the sequence number and reseal (the logbook does this on append)."""
    struct.pack_into("<I", buf, off + _O_SEQ, seq)
    seal(buf, off)


def set_wall(buf, off, wall_s):
    """Set the session-start wall clock (e.g. learnt during the session) and reseal."""
    struct.pack_into("<I", buf, off + _O_WALL, wall_s)
    seal(buf, off)


def check(buf, off):
    """True if buf[off:off+32] is a valid version-1 record."""
    t = buf[off + _O_TYPE]
    if t != START and t != END:
        return False
    if buf[off + _O_VERSION] != VERSION:
        return False
    c = crc16(buf, off, _O_CRC)
    return (c & 0xFF) == buf[off + _O_CRC] and (c >> 8) == buf[off + _O_CRC + 1]


# field getters read bytes directly so a scan does not build tuples
def rtype(buf, off):
    return buf[off + _O_TYPE]


def protocol(buf, off):
    return buf[off + _O_PROTOCOL]


def outcome(buf, off):
    return buf[off + _O_OUTCOME]


def seq(buf, off):
    o = off + _O_SEQ
    return buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)


def boot(buf, off):
    return buf[off + _O_BOOT] | (buf[off + _O_BOOT + 1] << 8)


def unpack(buf, off):
    """All fields as a tuple, in _FMT order (allocates: for the link and tests)."""
    return struct.unpack_from(_FMT, buf, off)
