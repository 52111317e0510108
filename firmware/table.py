# Protocol table: zero-copy accessors (format: docs/table-format.md) over a
# table that validated; the validator is tablecheck.py, loaded for the check.
# What only a playing cue reads (the motor patterns: haptic.py; a program's
# length: programtime.py) is imported where it is asked, at a session's start
# (the cue room, cueroom.py, holds both and drops them with itself).
import struct
import sys

from contract import (
    KIND_COUNT,
    PAT_BUILTIN,
    PATTERN_TAPS,
    STYLE_HAPTIC,
    STYLE_PATTERNS,
    TABLE_DIR_ENTRY,
    TABLE_HEADER,
    TABLE_STYLE,
    TABLE_STYLE_1,
    TABLE_VERSION,
)


def validate(buf):
    """0 if the whole table is playable, else the first failing E_* code (tablecheck.py)."""
    import tablecheck

    return tablecheck.validate(buf)


def drop_check():
    """Let the validator's code go (after boot's load and a COMMIT): the next collect frees it.
    The patterns and timing it read go too unless the cue room holds them (touch is loaded)."""
    sys.modules.pop("tablecheck", None)
    if "touch" not in sys.modules:
        sys.modules.pop("haptic", None)
        sys.modules.pop("programtime", None)


class Table:
    # A validated table over the caller's buffer (no copy). Check .err before use.
    def __init__(self, buf):
        self.buf = memoryview(buf)
        self.err = validate(self.buf)
        b = self.buf
        v2 = not self.err and b[2] == TABLE_VERSION
        self.version = b[2] if not self.err else 0
        self.style_size = TABLE_STYLE if v2 else TABLE_STYLE_1
        self.patterns = b[7] if v2 else 0  # motor pattern records (format 2)
        self.pool = TABLE_HEADER + b[3] * TABLE_DIR_ENTRY + b[6] * self.style_size if v2 else 0

    def count(self):
        return 0 if self.err else self.buf[3]

    def proto_id(self, i):
        return self.buf[TABLE_HEADER + i * TABLE_DIR_ENTRY]

    def style_index(self, i):
        return self.buf[TABLE_HEADER + i * TABLE_DIR_ENTRY + 1]

    def flags(self, i):
        return self.buf[TABLE_HEADER + i * TABLE_DIR_ENTRY + 2]

    def rating(self, i):
        return self.buf[TABLE_HEADER + i * TABLE_DIR_ENTRY + 2] & 3

    def program(self, i):
        at = TABLE_HEADER + i * TABLE_DIR_ENTRY + 4
        return self.buf[at] | self.buf[at + 1] << 8

    def index_of(self, pid):
        for i in range(self.count()):
            if self.buf[TABLE_HEADER + i * TABLE_DIR_ENTRY] == pid:
                return i
        return -1

    def style_count(self):
        return self.buf[6]

    def style_at(self, si):
        # byte offset of style si; fields at ST_* from there
        return TABLE_HEADER + self.buf[3] * TABLE_DIR_ENTRY + si * self.style_size

    def style_byte(self, si, field):
        return self.buf[self.style_at(si) + field]

    def pattern_at(self, num):
        # byte offset of motor pattern record num (1..patterns); -1 for 0 (silent)
        if num < 1 or num > self.patterns:
            return -1
        at = self.pool
        b = self.buf
        for _ in range(num - 1):
            at += 1 + 2 * b[at]
        return at

    def _slot(self, si, kind):
        # style si's pattern number for cue kind `kind` (format 1: PAT_BUILTIN or 0 by its bits)
        at = self.style_at(si)
        if kind < 1 or kind > KIND_COUNT:
            return 0
        if self.version == TABLE_VERSION:
            return self.buf[at + STYLE_HAPTIC + kind - 1]
        import haptic

        return PAT_BUILTIN if self.buf[at + STYLE_PATTERNS] & haptic.family(kind) else 0

    def motor_buf(self, si, kind):
        # the buffer motor_pattern(si, kind) points into: this table, or the built-in records
        import haptic

        return haptic.BUILTIN if self._slot(si, kind) == PAT_BUILTIN else self.buf

    def motor_pattern(self, si, kind):
        # offset in motor_buf() of style si's pattern for cue kind `kind`, -1 if silent
        import haptic

        num = self._slot(si, kind)
        return haptic.builtin_at(kind) if num == PAT_BUILTIN else self.pattern_at(num)

    def position_taps(self, si):
        # whether style si taps the body region at each POSITION edge
        at = self.style_at(si)
        if self.version == TABLE_VERSION:
            return self.buf[at + STYLE_HAPTIC] != 0
        return self.buf[at + STYLE_PATTERNS] & PATTERN_TAPS != 0

    def crc(self):
        return struct.unpack_from("<I", self.buf, len(self.buf) - 4)[0]

    def duration_ms(self, i):
        import programtime  # a session's start (the cue room has it), a missed moment's record

        return programtime.program_ms(self.buf, self.program(i))
