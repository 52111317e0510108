# Practice log record, format version 2 (docs/log-format.md); version 1
# records still read. Pure encode and check on a caller's buffer: no file access,
# no allocation; a record's other fields are read back by logfields.py (tests and
# bench: the device never reads them). The layout constants live in contract.py,
# which the host (ontspan.logformat) reads too. crc16 is viper, as frame.py's CRC-32 (built for
# the device's architecture, docs/firmware.md "Native code"): a record's check took
# ~0.5 ms in bytecode on a Pico, in a GET_LOGS while cues play.
# pyright: reportUndefinedVariable=false

import struct

import micropython
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
    LOG_O_OUTCOME,
    LOG_O_SEQ,
    LOG_O_TENSION,
    LOG_O_TYPE,
    LOG_O_V1_AFTER,
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
from micropython import const

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

# CRC-16/CCITT-FALSE (poly 0x1021, as CPython's binascii.crc_hqx) of each byte
# value: _CRC_HI[k] the high byte of entry k, _CRC_LO[k] the low. Literals, as
# frame.py's: in flash from ROMFS (tests/fw/test_link_crc.py checks them).
_CRC_HI = const(
    b"\x00\x10\x20\x30\x40\x50\x60\x70\x81\x91\xa1\xb1\xc1\xd1\xe1\xf1\x12\x02\x32\x22\x52\x42\x72\x62"
    b"\x93\x83\xb3\xa3\xd3\xc3\xf3\xe3\x24\x34\x04\x14\x64\x74\x44\x54\xa5\xb5\x85\x95\xe5\xf5\xc5\xd5"
    b"\x36\x26\x16\x06\x76\x66\x56\x46\xb7\xa7\x97\x87\xf7\xe7\xd7\xc7\x48\x58\x68\x78\x08\x18\x28\x38"
    b"\xc9\xd9\xe9\xf9\x89\x99\xa9\xb9\x5a\x4a\x7a\x6a\x1a\x0a\x3a\x2a\xdb\xcb\xfb\xeb\x9b\x8b\xbb\xab"
    b"\x6c\x7c\x4c\x5c\x2c\x3c\x0c\x1c\xed\xfd\xcd\xdd\xad\xbd\x8d\x9d\x7e\x6e\x5e\x4e\x3e\x2e\x1e\x0e"
    b"\xff\xef\xdf\xcf\xbf\xaf\x9f\x8f\x91\x81\xb1\xa1\xd1\xc1\xf1\xe1\x10\x00\x30\x20\x50\x40\x70\x60"
    b"\x83\x93\xa3\xb3\xc3\xd3\xe3\xf3\x02\x12\x22\x32\x42\x52\x62\x72\xb5\xa5\x95\x85\xf5\xe5\xd5\xc5"
    b"\x34\x24\x14\x04\x74\x64\x54\x44\xa7\xb7\x87\x97\xe7\xf7\xc7\xd7\x26\x36\x06\x16\x66\x76\x46\x56"
    b"\xd9\xc9\xf9\xe9\x99\x89\xb9\xa9\x58\x48\x78\x68\x18\x08\x38\x28\xcb\xdb\xeb\xfb\x8b\x9b\xab\xbb"
    b"\x4a\x5a\x6a\x7a\x0a\x1a\x2a\x3a\xfd\xed\xdd\xcd\xbd\xad\x9d\x8d\x7c\x6c\x5c\x4c\x3c\x2c\x1c\x0c"
    b"\xef\xff\xcf\xdf\xaf\xbf\x8f\x9f\x6e\x7e\x4e\x5e\x2e\x3e\x0e\x1e"
)
_CRC_LO = const(
    b"\x00\x21\x42\x63\x84\xa5\xc6\xe7\x08\x29\x4a\x6b\x8c\xad\xce\xef\x31\x10\x73\x52\xb5\x94\xf7\xd6"
    b"\x39\x18\x7b\x5a\xbd\x9c\xff\xde\x62\x43\x20\x01\xe6\xc7\xa4\x85\x6a\x4b\x28\x09\xee\xcf\xac\x8d"
    b"\x53\x72\x11\x30\xd7\xf6\x95\xb4\x5b\x7a\x19\x38\xdf\xfe\x9d\xbc\xc4\xe5\x86\xa7\x40\x61\x02\x23"
    b"\xcc\xed\x8e\xaf\x48\x69\x0a\x2b\xf5\xd4\xb7\x96\x71\x50\x33\x12\xfd\xdc\xbf\x9e\x79\x58\x3b\x1a"
    b"\xa6\x87\xe4\xc5\x22\x03\x60\x41\xae\x8f\xec\xcd\x2a\x0b\x68\x49\x97\xb6\xd5\xf4\x13\x32\x51\x70"
    b"\x9f\xbe\xdd\xfc\x1b\x3a\x59\x78\x88\xa9\xca\xeb\x0c\x2d\x4e\x6f\x80\xa1\xc2\xe3\x04\x25\x46\x67"
    b"\xb9\x98\xfb\xda\x3d\x1c\x7f\x5e\xb1\x90\xf3\xd2\x35\x14\x77\x56\xea\xcb\xa8\x89\x6e\x4f\x2c\x0d"
    b"\xe2\xc3\xa0\x81\x66\x47\x24\x05\xdb\xfa\x99\xb8\x5f\x7e\x1d\x3c\xd3\xf2\x91\xb0\x57\x76\x15\x34"
    b"\x4c\x6d\x0e\x2f\xc8\xe9\x8a\xab\x44\x65\x06\x27\xc0\xe1\x82\xa3\x7d\x5c\x3f\x1e\xf9\xd8\xbb\x9a"
    b"\x75\x54\x37\x16\xf1\xd0\xb3\x92\x2e\x0f\x6c\x4d\xaa\x8b\xe8\xc9\x26\x07\x64\x45\xa2\x83\xe0\xc1"
    b"\x1f\x3e\x5d\x7c\x9b\xba\xd9\xf8\x17\x36\x55\x74\x93\xb2\xd1\xf0"
)


@micropython.viper
def crc16(buf, off: int, n: int) -> int:
    """CRC-16/CCITT-FALSE of buf[off:off+n]; no allocation (machine ints, a small int out)."""
    b = ptr8(buf)
    th = ptr8(_CRC_HI)
    tl = ptr8(_CRC_LO)
    hi = 0xFF  # the CRC's high and low byte
    lo = 0xFF
    i = off
    end = off + n
    while i < end:
        k = hi ^ b[i]
        hi = lo ^ th[k]
        lo = tl[k]
        i += 1
    return (hi << 8) | lo


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
        LOG_STRUCT, buf, off, rtype, LOG_VERSION, protocol, outcome, seq, boot,
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


# field getters read bytes directly so a scan does not build tuples; the device reads
# these three (the logbook's scan at boot and its pulls), the rest is logfields.py
def rtype(buf, off):
    return buf[off + LOG_O_TYPE]


def seq(buf, off):
    o = off + LOG_O_SEQ
    return buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)


def boot(buf, off):
    return buf[off + LOG_O_BOOT] | (buf[off + LOG_O_BOOT + 1] << 8)
