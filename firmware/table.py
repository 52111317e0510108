# Protocol table: zero-copy accessors (format: docs/table-format.md) over a
# table that validated; the validator is tablecheck.py, loaded for the check.
# What only a playing cue reads lives with the cue room (cueroom.py), which holds
# it and drops it with itself: a style's motor patterns are read by haptic.py
# (motor_pattern, motor_buf, position_taps), a program's length by programtime.py
# (imported where it is asked: a session's start, a missed moment's record).
import struct
import sys

from contract import (
    TABLE_DIR_ENTRY,
    TABLE_HEADER,
    TABLE_STYLE,
    TABLE_STYLE_1,
    TABLE_VERSION,
)


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
        import tablecheck  # the validator, loaded for the check (drop_check lets it go)

        self.buf = memoryview(buf)
        self.err = tablecheck.validate(self.buf)  # 0, or the first failing E_* code
        b = self.buf
        v2 = not self.err and b[2] == TABLE_VERSION
        self.version = b[2] if not self.err else 0
        self.style_size = TABLE_STYLE if v2 else TABLE_STYLE_1  # (the motor patterns follow the styles)

    def count(self):
        return 0 if self.err else self.buf[3]

    def proto_id(self, i):
        return self.buf[TABLE_HEADER + i * TABLE_DIR_ENTRY]

    def style_index(self, i):
        return self.buf[TABLE_HEADER + i * TABLE_DIR_ENTRY + 1]

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

    def style_at(self, si):
        # byte offset of style si; fields at ST_* from there
        return TABLE_HEADER + self.buf[3] * TABLE_DIR_ENTRY + si * self.style_size

    def crc(self):
        return struct.unpack_from("<I", self.buf, len(self.buf) - 4)[0]

    def duration_ms(self, i):
        import programtime  # a session's start (the cue room has it), a missed moment's record

        return programtime.program_ms(self.buf, self.program(i))
