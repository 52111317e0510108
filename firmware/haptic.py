# Motor patterns as data (docs/table-format.md, Motor patterns): a record is a
# segment count k (1..PAT_SEGMENTS_MAX) and k segments (level, time in 10 ms);
# level 255 is the session's strength, 0 a gap. Format 2 tables carry their own
# records; format 1 tables and `feel` without a protocol play the built-in ones,
# which are the patterns every style had before patterns became data.
# Integers only, no allocation (the cue loop runs under heap_lock in the tests).
# A style's patterns are read from a validated table.Table here, not in table.py:
# only a cue reads them, and this module belongs to the cue room (cueroom.py).
from contract import (
    K_CHECK,
    K_END,
    K_HOLD,
    K_IN,
    K_OUT,
    K_RELEASE,
    K_REST,
    K_TENSE,
    KIND_COUNT,
    PAT_BUILTIN,
    PAT_GAP_MIN,
    PAT_LEVEL_MIN,
    PAT_ON_MIN,
    PAT_RUN_MAX,
    PAT_SEGMENTS_MAX,
    PATTERN_DOUBLE,
    PATTERN_PULSE,
    PATTERN_SWELL,
    PATTERN_TAPS,
    STYLE_HAPTIC,
    STYLE_PATTERNS,
    TABLE_DIR_ENTRY,
    TABLE_HEADER,
    TABLE_VERSION,
)

# The built-in records, one after the other, in cue-kind order; BUILTIN_AT is each
# kind's offset (kinds 1..10; 255: none). Pulses and gaps >= 100 ms: an ERM coin
# needs 50-100 ms to spin up, and shorter gaps merge two pulses into one.
BUILTIN = (
    b"\x05\xff\x0a\x00\x0a\xff\x0a\x00\x0a\xff\x1e"  # 0 TENSE . . -  short, short, long: tension builds
    b"\x03\xff\x1e\xc0\x1e\x80\x1e"  # 11 RELEASE  one long pulse that steps down: letting go
    b"\x01\xff\x14"  # 18 IN  .  one pulse, 200 ms
    b"\x01\xff\x32"  # 21 HOLD  -  one steady pulse, 500 ms
    b"\x03\xff\x0c\x00\x0f\xff\x0c"  # 24 OUT  . .  two pulses, 120 ms (breath pacers: in 1, out 2)
    b"\x03\xff\x28\x00\x1e\xff\x28"  # 31 REST  - -  two long, slow
    b"\x03\xff\x0a\x00\x0f\xff\x28"  # 38 CHECK  . -  a short and a long: look inward
    b"\x05\xff\x1e\x00\x1e\xff\x1e\x00\x1e\xff\x1e"  # 45 END  - - -  three long
)
BUILTIN_AT = b"\xff\x00\x0b\x12\x15\x18\xff\x1f\x26\x2d"  # kinds 1..10


def builtin_at(kind):
    # offset of the built-in record of cue kind `kind` in BUILTIN, -1 if it has none
    if kind < 1 or kind > KIND_COUNT:
        return -1
    at = BUILTIN_AT[kind - 1]
    return -1 if at == 255 else at


def family(kind):
    # the format 1 style bit that switches cue kind `kind` on
    if kind == K_TENSE:
        return PATTERN_TAPS
    if kind == K_RELEASE:
        return PATTERN_PULSE
    if kind == K_IN or kind == K_HOLD or kind == K_OUT:
        return PATTERN_SWELL
    if kind == K_REST or kind == K_CHECK or kind == K_END:
        return PATTERN_DOUBLE
    return 0


def _pattern_at(t, num):
    # byte offset in table t of motor pattern record num (1..its count); -1 for 0 (silent).
    # Format 2 only (a format 1 style names no records): they follow the styles
    b = t.buf
    if num < 1 or t.version != TABLE_VERSION or num > b[7]:
        return -1
    at = TABLE_HEADER + b[3] * TABLE_DIR_ENTRY + b[6] * t.style_size
    for _ in range(num - 1):
        at += 1 + 2 * b[at]
    return at


def _slot(t, si, kind):
    # style si's pattern number for cue kind `kind` (format 1: PAT_BUILTIN or 0 by its bits)
    at = t.style_at(si)
    if kind < 1 or kind > KIND_COUNT:
        return 0
    if t.version == TABLE_VERSION:
        return t.buf[at + STYLE_HAPTIC + kind - 1]
    return PAT_BUILTIN if t.buf[at + STYLE_PATTERNS] & family(kind) else 0


def motor_buf(t, si, kind):
    """The buffer motor_pattern(t, si, kind) points into: table t, or the built-in records."""
    return BUILTIN if _slot(t, si, kind) == PAT_BUILTIN else t.buf


def motor_pattern(t, si, kind):
    """Offset in motor_buf() of style si's pattern for cue kind `kind`, -1 if silent."""
    num = _slot(t, si, kind)
    return builtin_at(kind) if num == PAT_BUILTIN else _pattern_at(t, num)


def position_taps(t, si):
    """Whether style si of table t taps the body region at each POSITION edge."""
    at = t.style_at(si)
    if t.version == TABLE_VERSION:
        return t.buf[at + STYLE_HAPTIC] != 0
    return t.buf[at + STYLE_PATTERNS] & PATTERN_TAPS != 0


def pool_end(mv, at, p, end):
    # where the programs start: after p records from at; -1 if a record's segment
    # count is outside 1..PAT_SEGMENTS_MAX or the records run past end
    for _ in range(p):
        if at >= end:
            return -1
        k = mv[at]
        if k < 1 or k > PAT_SEGMENTS_MAX:
            return -1
        at += 1 + 2 * k
    return at if at <= end else -1


def pattern_ok(mv, at):
    # one record: first and last segment on; on levels PAT_LEVEL_MIN..255; on
    # segments >= PAT_ON_MIN; gaps (runs of level 0) >= PAT_GAP_MIN; continuous
    # on-time (runs of levels > 0) <= PAT_RUN_MAX; no segment of time 0
    k = mv[at]
    on = 0
    gap = 0
    for j in range(k):
        lv = mv[at + 1 + 2 * j]
        t = mv[at + 2 + 2 * j]
        if t == 0:
            return False
        if lv:
            if lv < PAT_LEVEL_MIN or t < PAT_ON_MIN:
                return False
            if gap:
                if gap < PAT_GAP_MIN:
                    return False
                gap = 0
            on += t
            if on > PAT_RUN_MAX:
                return False
        else:
            if j == 0 or j == k - 1:
                return False
            on = 0
            gap += t
    return True


def level_at(buf, at, el):
    # 0..255 of the record at `at`, el ms after its start; 0 once it is over
    i = at + 1
    n = i + 2 * buf[at]
    while i < n:
        ms = buf[i + 1] * 10
        if el < ms:
            return buf[i]
        el -= ms
        i += 2
    return 0


def left_at(buf, at, el):
    # ms until the record at `at` next changes level, el ms after its start (0 when over)
    i = at + 1
    n = i + 2 * buf[at]
    while i < n:
        ms = buf[i + 1] * 10
        if el < ms:
            return ms - el
        el -= ms
        i += 2
    return 0


def pattern_ms(buf, at=0):
    # how long the record at `at` lasts
    ms = 0
    for i in range(at + 2, at + 2 + 2 * buf[at], 2):
        ms += buf[i] * 10
    return ms
