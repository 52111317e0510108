# The one definition of every value the firmware and the host share: versions,
# link framing, commands and status codes, payload layouts, table format
# (sizes, opcodes, limits, error codes), cue kinds, STATUS states and flags.
# Sections other parts of the project add keep to their own block with a
# heading comment.
#
# The host imports this same file as `ontspan.firmware.contract` and derives
# its enums and tables from it (CPython has no micropython module, so const is
# the identity there). tests/test_contract.py runs this file under MicroPython
# and compares every value with what the host sees.
#
# RAM on the Pico: const() only folds inside the module that defines it, and a
# name without a leading underscore stays in this module's globals (one dict
# slot and one interned name each), which is what lets other modules and the
# host read it. Firmware modules import what they use by name (`from contract
# import X`): the lookup then costs what any module global costs, and the few
# byte loops that run per received byte copy the values into locals first.
# Measured (tests/test_contract.py prints it): importing this module costs about
# 9.5 KB of heap on the 64-bit unix port, once: the interned names (the same on
# the Pico) and the module's dictionary (half the size with the Pico's 32-bit
# words). Once every module has imported its names, app.py lets this module go,
# which gives the dictionary back (3.7 KB on the unix port); the interned names
# stay. Nothing here allocates afterwards.
try:
    from micropython import const  # pyright: ignore[reportAssignmentType]
except ImportError:

    def const(x):
        return x


# ---------------------------------------------------------------- versions

# the firmware release; the host package takes its version from here too
FIRMWARE_VERSION = "0.2.0"
LINK_MAJOR = const(1)  # a host refuses a device with another major version
LINK_MINOR = const(1)  # 1.1: INFO is binary (INFO_*); a 1.1 host still reads 1.0 JSON
TABLE_VERSION = const(2)  # table format the host writes (docs/table-format.md)
TABLE_VERSION_1 = const(1)  # still read and played, with the built-in motor patterns

# ---------------------------------------------------------------- link framing (docs/link.md)

# Wire: FRAME_SOF <encoded frame> FRAME_EOF. The encoding removes every byte
# below FRAME_RESERVED from the frame body, so a frame never carries Ctrl-C
# (0x03) or the raw-REPL controls.
MAX_PAYLOAD = const(512)
FRAME_SOF = const(0x00)
FRAME_EOF = const(0x07)
FRAME_RESERVED = const(8)  # bytes 0x00..0x07 never appear inside a frame
FRAME_RUN = const(27)  # a block carries 0..26 literal bytes
FRAME_NO_MARK = const(8)  # block kind: no marker byte follows its literals
FRAME_HEAD = const(5)  # len u16, id u8, code u8, status u8
FRAME_TAIL = const(4)  # CRC-32 LE
REPLY_BIT = const(0x80)  # a reply's code is the request's code | REPLY_BIT

# ---------------------------------------------------------------- link commands

CMD_HELLO = const(0x01)
CMD_INFO = const(0x02)
CMD_ECHO = const(0x03)
CMD_PUT_TABLE_BEGIN = const(0x10)
CMD_PUT_TABLE_CHUNK = const(0x11)
CMD_PUT_TABLE_COMMIT = const(0x12)
CMD_GET_TABLE = const(0x13)
CMD_SET_CLOCK = const(0x20)
CMD_GET_CLOCK = const(0x21)
CMD_START = const(0x30)
CMD_STOP = const(0x31)
CMD_STATUS = const(0x32)
CMD_SET_CONFIG = const(0x40)
CMD_GET_CONFIG = const(0x41)
CMD_GET_LOGS = const(0x50)
CMD_CLEAR_LOGS = const(0x51)
CMD_REBOOT = const(0x70)

# ---------------------------------------------------------------- link reply status

OK = const(0x00)
ERR_CRC = const(0x01)  # frame CRC mismatch
ERR_FRAME = const(0x02)  # bad encoding: forbidden byte, bad code byte, cut block
ERR_LENGTH = const(0x03)  # length field != frame size, or frame too long
ERR_UNKNOWN_CMD = const(0x04)  # no such command (or reserved, not built)
ERR_PAYLOAD = const(0x05)  # payload size or format wrong for the command
ERR_BUSY = const(0x06)  # not now (session playing, flash busy): retry later
ERR_STATE = const(0x07)  # out of order: CHUNK without BEGIN, COMMIT too early
ERR_OFFSET = const(0x08)  # chunk offset != expected; payload: expected u32
ERR_TABLE_CRC = const(0x09)  # staged table CRC != announced CRC
ERR_TABLE_REFUSED = const(0x0A)  # decoder refused; payload: table error code u8 (E_*)
ERR_TOO_LARGE = const(0x0B)  # table larger than the device accepts; payload: limit u32
ERR_NO_PROTOCOL = const(0x0C)  # START: id not in the table, or no table
ERR_VALUE = const(0x0D)  # value refused; payload: ASCII key or field name
ERR_STORAGE = const(0x0E)  # flash write/rename failed; payload: errno u8
ERR_INTERNAL = const(0x0F)  # handler raised; payload: exception text

# ---------------------------------------------------------------- payload layouts (struct formats)

HELLO_REPLY = "<BBBBH"  # link major, minor, table format, 0, max payload; then firmware text
STATUS_REPLY = "<BBBBHHI"  # state, protocol, flags, 0, elapsed s, remaining s, log records
STATUS_SIZE = const(12)
CLOCK_REPLY = "<IhB"  # Unix seconds UTC, UTC offset minutes, set since boot
CLOCK_SIZE = const(7)
SET_CLOCK_REQ = "<Ih"  # Unix seconds UTC, UTC offset minutes
PUT_TABLE_BEGIN_REQ = "<II"  # total size, CRC-32
# a PUT_TABLE_CHUNK request's offset; its ack and ERR_OFFSET / ERR_STATE: bytes taken
# so far; ERR_TOO_LARGE: the largest table the device takes
TABLE_U32 = "<I"
GET_TABLE_REQ = "<IH"  # offset, bytes wanted
GET_LOGS_REQ = "<IB"  # from seq, records wanted
CLEAR_LOGS_REQ = "<I"  # up to seq
# INFO (link 1.1, docs/link.md): the live head is packed per request, the rest is
# cached on the device and rebuilt while idle; then device id, firmware, last
# fault (each a length u8 and ASCII/bytes) and the protocol ids (u8 each)
INFO_VERSION = const(1)  # first byte; never 0x7B, the "{" of the 1.0 JSON INFO
INFO_LIVE = "<BBBBIIIIIIIIIIx"  # version, STATUS flags, selected id (0 none), table format;
# uptime s; log count, first, last; link rx, bad, noise, dup, tx, short; 0 (reserved:
# a marker before the kept part, once framed apart; the layout stays)
INFO_LIVE_SIZE = const(45)
INFO_KEPT = "<IIIIIIII4sHBB"  # heap free, used, flash free (0xFFFFFFFF unknown), measured
# at uptime s; boot; table CRC, size; log capacity, log epoch; faults; protocols N; id bytes
INFO_KEPT_SIZE = const(40)
# INFO's request: empty, or flags u8. INFO_AS_KEPT: the heap and flash figures as last
# measured, however old (a host that wants the device id or the table pays no re-measure)
INFO_AS_KEPT = const(0x01)

# ---------------------------------------------------------------- STATUS states and flags

STATE_IDLE = const(0)
STATE_PLAYING = const(1)
STATE_PAUSED = const(2)
STATE_RATING = const(3)  # waiting for a tension rating

FLAG_TABLE = const(0x01)  # a valid table is loaded
FLAG_CLOCK = const(0x02)  # the clock was set since boot
FLAG_NIGHT = const(0x04)  # night mode is on
FLAG_CONFIG_DEFAULT = const(0x08)  # the config was bad: defaults in use

# ---------------------------------------------------------------- table format (docs/table-format.md)

TABLE_MAGIC = b"OS"
TABLE_HEADER = const(8)
TABLE_DIR_ENTRY = const(6)
TABLE_STYLE = const(38)  # bytes per style record (format 2)
TABLE_STYLE_1 = const(28)  # bytes per style record (format 1)
TABLE_CRC = const(4)
TABLE_MIN = const(16)
TABLE_MAX = const(8192)
MAX_PROTOCOLS = const(32)
MAX_STYLES = const(16)

OP_END = const(0x01)
OP_PMR = const(0x10)
OP_GROUP = const(0x11)
OP_BREATH = const(0x20)
OP_REST = const(0x30)
OP_CHECK = const(0x40)
OP_REPEAT = const(0x50)
OP_END_REPEAT = const(0x51)

BREATH_CYCLES = const(0x01)  # BREATH flags: length counts cycles, not seconds
BREATH_BELLY = const(0x02)  # BREATH flags: belly breathing

# directory entry flags: bits 0-1 are the rating mode (3 is invalid)
RATING_MODE_NONE = const(0)
RATING_MODE_AFTER = const(1)
RATING_MODE_BEFORE_AFTER = const(2)

# style record: field offsets, colour slots (3 bytes each) inside a colour set
STYLE_DAY = const(0)
STYLE_NIGHT = const(12)
STYLE_CAP_DAY = const(24)
STYLE_CAP_NIGHT = const(25)
STYLE_MOTOR = const(26)
STYLE_PATTERNS = const(27)
SLOT_TENSE = const(0)
SLOT_RELEASE = const(3)
SLOT_BREATH = const(6)
SLOT_REST = const(9)
# pattern bits of STYLE_PATTERNS (bits 4-7 must be 0)
PATTERN_TAPS = const(0x01)  # taps on tense
PATTERN_PULSE = const(0x02)  # pulse on release
PATTERN_SWELL = const(0x04)  # swell on breath in
PATTERN_DOUBLE = const(0x08)  # double pulse at the end
# format 2: STYLE_PATTERNS is reserved (0); STYLE_HAPTIC + kind - 1 holds the motor
# pattern number (1..P, 0 = silent, PAT_BUILTIN = the kind's built-in pattern) of
# cue kind 1..10; POSITION's byte is 0 or 1 (counted taps, built in) and PAUSE's
# is 0. Patterns follow the styles.
STYLE_HAPTIC = const(28)
PAT_BUILTIN = const(255)  # a style's pattern number: the built-in pattern of that kind
MAX_PATTERNS = const(128)  # patterns per table (16 styles x 8 kinds)
PAT_SEGMENTS_MAX = const(8)  # segments (level u8, time in 10 ms u8) per pattern
PAT_LEVEL_MIN = const(64)  # an on segment's level 64..255 (0 = gap); lower barely spins
PAT_ON_MIN = const(8)  # 10 ms: on segments >= 80 ms (an ERM needs 50-100 ms to spin up)
PAT_GAP_MIN = const(10)  # 10 ms: gaps >= 100 ms, or two pulses merge into one
PAT_RUN_MAX = const(150)  # 10 ms: continuous on-time <= 1500 ms

# field limits, in table units (ds = 0.1 s)
GROUP_MAX = const(254)  # group numbers 0..254; 255 means none
TENSE_DS_MIN = const(10)
TENSE_DS_MAX = const(100)
FEEL_DS_MIN = const(50)
FEEL_DS_MAX = const(1200)
REPS_MIN = const(1)
REPS_MAX = const(10)
BREATH_DS_MIN = const(10)  # in and out
BREATH_DS_MAX = const(200)
GAP_DS_MAX = const(200)  # hold and pause; 0 = none
BREATH_S_MAX = const(1800)  # length in seconds
BREATH_CYCLES_MAX = const(600)  # length in cycles
RAMP_S_MAX = const(3600)  # 0 = no ramp
REST_S_MIN = const(10)
REST_S_MAX = const(3600)
CHECK_S_MIN = const(3)
CHECK_S_MAX = const(120)
PROMPT_MAX = const(4)  # prompts 0..4
REPEAT_MIN = const(2)
REPEAT_MAX = const(20)
REPEAT_DEPTH = const(2)  # REPEAT nesting
BLOCKS_MAX = const(255)  # block ops per program; block index 255 means none
PROTOCOL_ID_MIN = const(1)
PROTOCOL_ID_MAX = const(254)
SESSION_MS_MAX = const(5_400_000)  # 90 min per protocol, END included

# table error codes (validation order of docs/table-format.md); E_OK = playable
E_OK = const(0)
E_LENGTH = const(1)
E_MAGIC = const(2)
E_VERSION = const(3)
E_CRC = const(4)
E_DIRECTORY = const(5)
E_OPCODE = const(6)
E_STRUCTURE = const(7)
E_LIMIT = const(8)
E_DURATION = const(9)

# ---------------------------------------------------------------- cue timing and kinds

POSITION_MS = const(2000)  # before the first tense of a group
END_MS = const(3000)  # the END cue

# cue kinds: the `kind` of an edge (engine, sim trace, host timeline)
K_POSITION = const(1)
K_TENSE = const(2)
K_RELEASE = const(3)
K_IN = const(4)
K_HOLD = const(5)
K_OUT = const(6)
K_PAUSE = const(7)
K_REST = const(8)
K_CHECK = const(9)
K_END = const(10)
KIND_COUNT = const(10)  # cue kinds are 1..KIND_COUNT (a style has a motor slot for each)
NO_GROUP = const(255)  # an edge's block or group when it has none


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

# ---------------------------------------------------------------- practice plan (docs/plans.md)
# Days are days since 2024-01-01 (a Monday), minutes are minutes of the local
# day: both small ints on the Pico.
PLAN_VERSION = const(1)
PLAN_MAGIC = b"OP"
PLAN_HEADER = const(12)
PLAN_MOMENT = const(6)  # bytes per moment
PLAN_CRC = const(4)
PLAN_MIN = const(22)  # header, one moment, CRC
PLAN_MAX = const(112)  # header, 16 moments, CRC
PLAN_MAX_MOMENTS = const(16)
PLAN_NO_END = const(0xFFFF)  # end day: reminders go on after the block
PLAN_WINDOW_MIN = const(5)  # reminder window, minutes
PLAN_WINDOW_MAX = const(120)
PLAN_WINDOW_DEFAULT = const(15)
PLAN_WEEKS_MAX = const(12)
PLAN_TRIAL_MAX = const(20)
PLAN_EPOCH_UNIX = const(1704067200)  # unix seconds of day 0, 2024-01-01 00:00 UTC
# header fields and moment fields (relative to the moment)
PLAN_H_COUNT = const(3)
PLAN_H_LENGTH = const(4)
PLAN_H_START = const(6)
PLAN_H_END = const(8)
PLAN_H_WEEKS = const(10)
PLAN_H_TRIAL = const(11)
PLAN_M_MINUTE = const(0)
PLAN_M_PROTOCOL = const(2)
PLAN_M_DAYS = const(3)
PLAN_M_WINDOW = const(4)
PLAN_M_RATING = const(5)  # rating override, 0 = the protocol's own (docs/plans.md)
# the rating byte: bits 0-1 the rating mode + 1 (1 none, 2 after, 3 before and after),
# bits 2-7 how many days from the plan's start it holds (0 = every day)
PLAN_RATING_DAYS_SHIFT = const(2)
PLAN_RATING_DAYS_MAX = const(63)
# the same fields as struct layouts: the header from PLAN_H_COUNT on, one moment
PLAN_HEADER_FIELDS = "<BHHHBB"  # count, length, start day, end day, weeks, trial sessions
PLAN_MOMENT_FIELDS = "<HBBBB"  # minute, protocol, days, window, rating override
# link commands (docs/link.md): a plan fits one frame
CMD_PUT_PLAN = const(0x60)  # request: plan bytes; refused while a session plays
CMD_GET_PLAN = const(0x61)  # reply: plan bytes, empty without a plan
CMD_CLEAR_PLAN = const(0x62)
ERR_PLAN_REFUSED = const(0x10)  # PUT_PLAN: plan decoder refused; payload: PLAN_E_* u8
STATE_REMINDER = const(4)  # STATUS: a reminder glows; pid is the moment's protocol
FLAG_PLAN = const(0x10)  # STATUS: a plan is stored (its reminders wait for the clock)
# the clock's source (STATUS and INFO flags): rtc = FLAG_CLOCK_RTC, set this boot =
# FLAG_CLOCK alone, none = neither; FLAG_RTC: a battery-backed clock module answered at boot
FLAG_RTC = const(0x20)
FLAG_CLOCK_RTC = const(0x40)  # the clock was read from the module at boot (not set since)
# plan error codes (validation order of docs/plans.md); 0 = usable
PLAN_E_LENGTH = const(1)
PLAN_E_MAGIC = const(2)
PLAN_E_VERSION = const(3)
PLAN_E_CRC = const(4)
PLAN_E_HEADER = const(5)
PLAN_E_MOMENT = const(6)
PLAN_E_ORDER = const(7)

# -- cues: one default for each brightness cap and the touch strength --------
DAY_CAP = const(160)  # brightest LED byte by day (config day_cap)
NIGHT_CAP = const(24)  # brightest LED byte at night (config night_cap, style night_brightness)
TOUCH_STRENGTH = const(110)  # motor strength 0..255 unless the patient chose one (`ontspan feel`)

# -- feel: play one cue on the device now (`ontspan feel`, docs/cues.md) -------
# request: kind u8, count u8, strength u8, flags u8; reply: strength u8, ms u16
CMD_FEEL = const(0x34)
FEEL_REPLY = "<BH"  # strength used, ms the cue lasts
FEEL_PAUSE = const(20)  # kinds besides the cue kinds 1..10 (TENSE, IN, ...)
FEEL_RESUME = const(21)
FEEL_RATING = const(22)  # the rating played back: `count` taps
FEEL_SAVE = const(1)  # flags: keep `strength` as the patient's (config touch_strength)
FEEL_STYLE = const(2)  # flags: play it as the style of protocol id `count` in the loaded table
# -- the wall clock on a 31-bit port -----------------------------------------
# Unix seconds (about 1.8e9 in 2027) are a heap int on the rp2, whose small ints
# are 31-bit. The device keeps seconds from its own epoch, 2024-01-01 00:00 UTC
# (0x65920080, a midnight), and meets Unix seconds only at the link and in log
# records, as two u16 halves (low first: the same bytes as one u32).
DEVICE_EPOCH_HI = const(0x6592)
DEVICE_EPOCH_LO = const(0x0080)
SET_CLOCK_REQ_HALVES = "<HHh"  # SET_CLOCK_REQ, the seconds as low, high half
CLOCK_REPLY_HALVES = "<HHhB"  # CLOCK_REPLY, the seconds as low, high half
WALL_HALVES = "<HH"  # a log record's wall_s field

# ---------------------------------------------------------------- the link's handlers

# (code, handler name) of every CMD_FOO in this file, by code: the link serves CMD_FOO
# with handler `foo`, so a command's code and name are written once, here
COMMANDS = tuple(sorted((v, k[4:].lower()) for k, v in globals().items() if k.startswith("CMD_")))
