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


# CRC-16/CCITT-FALSE (poly 0x1021, as CPython's binascii.crc_hqx) of each byte
# value, u16 little-endian: written out, not computed at import (that took 30 ms of a
# Pico's boot). An array, not the bytes: one lookup per byte is a third faster, and
# every record read or written is checked. tests/fw/test_link_crc.py checks it.
_CRC_T = array(
    "H",
    b"\x00\x00\x21\x10\x42\x20\x63\x30\x84\x40\xa5\x50\xc6\x60\xe7\x70\x08\x81\x29\x91\x4a\xa1\x6b\xb1\x8c\xc1\xad\xd1\xce\xe1\xef\xf1"
    b"\x31\x12\x10\x02\x73\x32\x52\x22\xb5\x52\x94\x42\xf7\x72\xd6\x62\x39\x93\x18\x83\x7b\xb3\x5a\xa3\xbd\xd3\x9c\xc3\xff\xf3\xde\xe3"
    b"\x62\x24\x43\x34\x20\x04\x01\x14\xe6\x64\xc7\x74\xa4\x44\x85\x54\x6a\xa5\x4b\xb5\x28\x85\x09\x95\xee\xe5\xcf\xf5\xac\xc5\x8d\xd5"
    b"\x53\x36\x72\x26\x11\x16\x30\x06\xd7\x76\xf6\x66\x95\x56\xb4\x46\x5b\xb7\x7a\xa7\x19\x97\x38\x87\xdf\xf7\xfe\xe7\x9d\xd7\xbc\xc7"
    b"\xc4\x48\xe5\x58\x86\x68\xa7\x78\x40\x08\x61\x18\x02\x28\x23\x38\xcc\xc9\xed\xd9\x8e\xe9\xaf\xf9\x48\x89\x69\x99\x0a\xa9\x2b\xb9"
    b"\xf5\x5a\xd4\x4a\xb7\x7a\x96\x6a\x71\x1a\x50\x0a\x33\x3a\x12\x2a\xfd\xdb\xdc\xcb\xbf\xfb\x9e\xeb\x79\x9b\x58\x8b\x3b\xbb\x1a\xab"
    b"\xa6\x6c\x87\x7c\xe4\x4c\xc5\x5c\x22\x2c\x03\x3c\x60\x0c\x41\x1c\xae\xed\x8f\xfd\xec\xcd\xcd\xdd\x2a\xad\x0b\xbd\x68\x8d\x49\x9d"
    b"\x97\x7e\xb6\x6e\xd5\x5e\xf4\x4e\x13\x3e\x32\x2e\x51\x1e\x70\x0e\x9f\xff\xbe\xef\xdd\xdf\xfc\xcf\x1b\xbf\x3a\xaf\x59\x9f\x78\x8f"
    b"\x88\x91\xa9\x81\xca\xb1\xeb\xa1\x0c\xd1\x2d\xc1\x4e\xf1\x6f\xe1\x80\x10\xa1\x00\xc2\x30\xe3\x20\x04\x50\x25\x40\x46\x70\x67\x60"
    b"\xb9\x83\x98\x93\xfb\xa3\xda\xb3\x3d\xc3\x1c\xd3\x7f\xe3\x5e\xf3\xb1\x02\x90\x12\xf3\x22\xd2\x32\x35\x42\x14\x52\x77\x62\x56\x72"
    b"\xea\xb5\xcb\xa5\xa8\x95\x89\x85\x6e\xf5\x4f\xe5\x2c\xd5\x0d\xc5\xe2\x34\xc3\x24\xa0\x14\x81\x04\x66\x74\x47\x64\x24\x54\x05\x44"
    b"\xdb\xa7\xfa\xb7\x99\x87\xb8\x97\x5f\xe7\x7e\xf7\x1d\xc7\x3c\xd7\xd3\x26\xf2\x36\x91\x06\xb0\x16\x57\x66\x76\x76\x15\x46\x34\x56"
    b"\x4c\xd9\x6d\xc9\x0e\xf9\x2f\xe9\xc8\x99\xe9\x89\x8a\xb9\xab\xa9\x44\x58\x65\x48\x06\x78\x27\x68\xc0\x18\xe1\x08\x82\x38\xa3\x28"
    b"\x7d\xcb\x5c\xdb\x3f\xeb\x1e\xfb\xf9\x8b\xd8\x9b\xbb\xab\x9a\xbb\x75\x4a\x54\x5a\x37\x6a\x16\x7a\xf1\x0a\xd0\x1a\xb3\x2a\x92\x3a"
    b"\x2e\xfd\x0f\xed\x6c\xdd\x4d\xcd\xaa\xbd\x8b\xad\xe8\x9d\xc9\x8d\x26\x7c\x07\x6c\x64\x5c\x45\x4c\xa2\x3c\x83\x2c\xe0\x1c\xc1\x0c"
    b"\x1f\xef\x3e\xff\x5d\xcf\x7c\xdf\x9b\xaf\xba\xbf\xd9\x8f\xf8\x9f\x17\x6e\x36\x7e\x55\x4e\x74\x5e\x93\x2e\xb2\x3e\xd1\x0e\xf0\x1e"
)


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
