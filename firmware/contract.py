# The one definition of every value the firmware and the host share: versions,
# link commands and codes, table opcodes and limits, cue kinds, STATUS states,
# log record layout. MicroPython folds the const()s; the host imports this
# same file as `ontspan.firmware.contract` (CPython has no micropython module,
# so const is the identity there).
try:
    from micropython import const
except ImportError:

    def const(x):
        return x


# the firmware release; the host package takes its version from here too
FIRMWARE_VERSION = "0.2.0"


# -- log record (docs/log-format.md) -----------------------------------------
# One 32-byte record layout, little-endian. Version 2 is written; version 1
# records (before log epochs) still read on the device and on the host.
LOG_RECORD_SIZE = const(32)
LOG_VERSION = const(2)
LOG_VERSION_1 = const(1)
LOG_EPOCH_SIZE = const(4)  # the log epoch: random u32 made with the logbook

# record types; 0x00 and 0xFF never are (zeroed RAM, erased flash)
LOG_START = const(0x53)  # "S": before the first cue
LOG_END = const(0x45)  # "E": after the last cue, or at boot for a cut session
LOG_MISSED = const(0x4D)  # "M" (v2): a planned moment left alone

# outcomes (END records; START and MISSED carry LOG_OUT_NONE)
LOG_OUT_NONE = const(0)
LOG_OUT_COMPLETED = const(1)
LOG_OUT_STOPPED = const(2)  # stopped by the user
LOG_OUT_POWER_CUT = const(3)  # START without END found at the next boot
LOG_OUT_FAULT = const(4)  # the firmware failed during the session
LOG_OUT_PAUSED_TOO_LONG = const(5)  # stopped by itself after a long pause (v2)

LOG_NOT_RATED = const(255)  # tension as the API sees it; v2 stores a 0xF nibble
LOG_TENSION_NONE = const(0xF)  # v2: nibble value for "not rated"
LOG_NO_MOMENT = const(0xFF)  # v2: session not tied to a planned moment
LOG_UNKNOWN_U8 = const(255)
LOG_UNKNOWN_U16 = const(0xFFFF)

# byte offsets; v1 keeps tension before at 10 and after at 11 as whole bytes,
# v2 packs both into byte 10 (before: low nibble) and has the moment at 11
LOG_O_TYPE = const(0)
LOG_O_VERSION = const(1)
LOG_O_PROTOCOL = const(2)
LOG_O_OUTCOME = const(3)
LOG_O_SEQ = const(4)
LOG_O_BOOT = const(8)
LOG_O_TENSION = const(10)  # v2
LOG_O_MOMENT = const(11)  # v2
LOG_O_V1_BEFORE = const(10)
LOG_O_V1_AFTER = const(11)
LOG_O_UPTIME = const(12)
LOG_O_WALL = const(16)
LOG_O_TABLE_CRC = const(20)
LOG_O_PLANNED = const(24)
LOG_O_ACTUAL = const(26)  # v2: seconds played, pauses left out
LOG_O_BLOCKS = const(28)
LOG_O_GROUPS = const(29)
LOG_O_CRC = const(30)
# struct layout of the whole record, the same for both versions
LOG_STRUCT = "<BBBBIHBBIIIHHBBH"
