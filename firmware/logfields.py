# A log record's fields read back (docs/log-format.md), both versions: the tests,
# the bench and the power-cut sweep read records with these. The device itself
# never does: it reads a record's type, seq and boot (logrecord.py) and hands the
# rest to the host as bytes (GET_LOGS), so this module is never installed and an
# idle device keeps none of it in RAM (host/ontspan/device/install.py).
import struct

from contract import (
    LOG_NO_MOMENT,
    LOG_NOT_RATED,
    LOG_O_MOMENT,
    LOG_O_OUTCOME,
    LOG_O_PROTOCOL,
    LOG_O_TENSION,
    LOG_O_V1_AFTER,
    LOG_O_V1_BEFORE,
    LOG_O_VERSION,
    LOG_STRUCT,
    LOG_TENSION_NONE,
    LOG_VERSION_1,
)


def version(buf, off):
    return buf[off + LOG_O_VERSION]


def protocol(buf, off):
    return buf[off + LOG_O_PROTOCOL]


def outcome(buf, off):
    return buf[off + LOG_O_OUTCOME]


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
    and moment as the API sees them in both versions (allocates)."""
    f = struct.unpack_from(LOG_STRUCT, buf, off)
    return f[:6] + (before(buf, off), after(buf, off)) + f[8:15] + (moment(buf, off),)
