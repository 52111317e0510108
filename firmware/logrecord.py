# Practice log record, format version 2 (docs/log-format.md); version 1
# records still read. Pure encode/decode on a caller's buffer: no file access,
# no allocation. The layout constants live in contract.py, which the host
# (ontspan.logformat) reads too.

import struct
from array import array

from contract import (
    LOG_END,
    LOG_MISSED,
    LOG_NO_MOMENT,
    LOG_NOT_RATED,
    LOG_O_ACTUAL,
    LOG_O_BLOCKS,
    LOG_O_BOOT,
    LOG_O_CRC,
    LOG_O_GROUPS,
    LOG_O_MOMENT,
    LOG_O_OUTCOME,
    LOG_O_PROTOCOL,
    LOG_O_SEQ,
    LOG_O_TENSION,
    LOG_O_TYPE,
    LOG_O_V1_AFTER,
    LOG_O_V1_BEFORE,
    LOG_O_VERSION,
    LOG_O_WALL,
    LOG_OUT_COMPLETED,
    LOG_OUT_FAULT,
    LOG_OUT_NONE,
    LOG_OUT_PAUSED_TOO_LONG,
    LOG_OUT_POWER_CUT,
    LOG_OUT_STOPPED,
    LOG_RECORD_SIZE,
    LOG_START,
    LOG_STRUCT,
    LOG_TENSION_NONE,
    LOG_UNKNOWN_U8,
    LOG_UNKNOWN_U16,
    LOG_VERSION,
    LOG_VERSION_1,
)

SIZE = LOG_RECORD_SIZE
VERSION = LOG_VERSION
START = LOG_START
END = LOG_END
MISSED = LOG_MISSED
OUT_NONE = LOG_OUT_NONE
OUT_COMPLETED = LOG_OUT_COMPLETED
OUT_STOPPED = LOG_OUT_STOPPED
OUT_POWER_CUT = LOG_OUT_POWER_CUT
OUT_FAULT = LOG_OUT_FAULT
OUT_PAUSED_TOO_LONG = LOG_OUT_PAUSED_TOO_LONG
NOT_RATED = LOG_NOT_RATED
NO_MOMENT = LOG_NO_MOMENT
UNKNOWN_U8 = LOG_UNKNOWN_U8
UNKNOWN_U16 = LOG_UNKNOWN_U16

_FMT = LOG_STRUCT


def _crc_table():
    # CRC-16/CCITT-FALSE (poly 0x1021, as CPython's binascii.crc_hqx) of each byte
    # value. Linear, as frame._crc_tables: the eight one-bit entries bit by bit, every
    # other entry one xor of two made before it (the bit loop for all 256 took 30 ms of
    # a Pico's boot).
    t = array("H", bytes(512))
    b = 1
    while b < 256:
        c = b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        c &= 0xFFFF
        t[b] = c
        for j in range(1, b):  # b + j: entry b xor entry j
            t[b + j] = c ^ t[j]
        b <<= 1
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
    c = crc16(buf, off, LOG_O_CRC)
    buf[off + LOG_O_CRC] = c & 0xFF
    buf[off + LOG_O_CRC + 1] = c >> 8


def _nib(v):
    # tension 0..10 as a nibble; anything else is "not rated"
    return v if 0 <= v <= 10 else LOG_TENSION_NONE


def pack_into(
    buf, off, rtype, seq, boot, uptime_s, wall_s, protocol, table_crc,
    planned_s, actual_s, blocks, groups, outcome, before, after, moment=LOG_NO_MOMENT,
):
    """Write a whole sealed version-2 record at buf[off:off+32].

    rtype START, END or MISSED; before/after 0..10 or NOT_RATED; moment is the
    planned moment the session answered (or was missed), NO_MOMENT if none;
    actual_s leaves pauses out.
    """
    struct.pack_into(
        _FMT, buf, off, rtype, LOG_VERSION, protocol, outcome, seq, boot,
        _nib(before) | (_nib(after) << 4), moment, uptime_s, wall_s, table_crc,
        planned_s, actual_s, blocks, groups, 0,
    )
    seal(buf, off)


def finish(buf, off, actual_s, blocks, groups, outcome, after):
    """Turn the START record in buf into its END record (start fields and version kept)."""
    buf[off + LOG_O_TYPE] = LOG_END
    buf[off + LOG_O_OUTCOME] = outcome
    if buf[off + LOG_O_VERSION] == LOG_VERSION_1:
        buf[off + LOG_O_V1_AFTER] = after
    else:
        o = off + LOG_O_TENSION
        buf[o] = (buf[o] & 0x0F) | (_nib(after) << 4)
    buf[off + LOG_O_ACTUAL] = actual_s & 0xFF
    buf[off + LOG_O_ACTUAL + 1] = (actual_s >> 8) & 0xFF
    buf[off + LOG_O_BLOCKS] = blocks
    buf[off + LOG_O_GROUPS] = groups
    seal(buf, off)


def set_seq(buf, off, seq):
    """Stamp the sequence number and reseal (the logbook does this on append)."""
    struct.pack_into("<I", buf, off + LOG_O_SEQ, seq)
    seal(buf, off)


def set_wall(buf, off, wall_s):
    """Set the session-start wall clock (e.g. learnt during the session) and reseal."""
    struct.pack_into("<I", buf, off + LOG_O_WALL, wall_s)
    seal(buf, off)


def check(buf, off):
    """True if buf[off:off+32] is a valid record of version 2 (or 1)."""
    t = buf[off + LOG_O_TYPE]
    v = buf[off + LOG_O_VERSION]
    if v == LOG_VERSION:
        if t != LOG_START and t != LOG_END and t != LOG_MISSED:
            return False
    elif v == LOG_VERSION_1:
        if t != LOG_START and t != LOG_END:
            return False
    else:
        return False
    c = crc16(buf, off, LOG_O_CRC)
    return (c & 0xFF) == buf[off + LOG_O_CRC] and (c >> 8) == buf[off + LOG_O_CRC + 1]


# field getters read bytes directly so a scan does not build tuples
def rtype(buf, off):
    return buf[off + LOG_O_TYPE]


def version(buf, off):
    return buf[off + LOG_O_VERSION]


def protocol(buf, off):
    return buf[off + LOG_O_PROTOCOL]


def outcome(buf, off):
    return buf[off + LOG_O_OUTCOME]


def seq(buf, off):
    o = off + LOG_O_SEQ
    return buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)


def boot(buf, off):
    return buf[off + LOG_O_BOOT] | (buf[off + LOG_O_BOOT + 1] << 8)


def _tension(n):
    return LOG_NOT_RATED if n == LOG_TENSION_NONE else n


def before(buf, off):
    if buf[off + LOG_O_VERSION] == LOG_VERSION_1:
        return buf[off + LOG_O_V1_BEFORE]
    return _tension(buf[off + LOG_O_TENSION] & 0x0F)


def after(buf, off):
    if buf[off + LOG_O_VERSION] == LOG_VERSION_1:
        return buf[off + LOG_O_V1_AFTER]
    return _tension(buf[off + LOG_O_TENSION] >> 4)


def moment(buf, off):
    if buf[off + LOG_O_VERSION] == LOG_VERSION_1:
        return LOG_NO_MOMENT
    return buf[off + LOG_O_MOMENT]


def unpack(buf, off):
    """(rtype, version, protocol, outcome, seq, boot, before, after, uptime_s,
    wall_s, table_crc, planned_s, actual_s, blocks, groups, moment) with tension
    and moment as the API sees them in both versions (allocates: link and tests)."""
    f = struct.unpack_from(_FMT, buf, off)
    return f[:6] + (before(buf, off), after(buf, off)) + f[8:15] + (moment(buf, off),)
