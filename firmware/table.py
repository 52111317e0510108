# Protocol table: validator and zero-copy accessors (format: docs/table-format.md).
# validate() never raises on any bytes; accessors assume a table that validated.
import binascii
import struct

from micropython import const

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

OP_END = const(0x01)
OP_PMR = const(0x10)
OP_GROUP = const(0x11)
OP_BREATH = const(0x20)
OP_REST = const(0x30)
OP_CHECK = const(0x40)
OP_REPEAT = const(0x50)
OP_END_REPEAT = const(0x51)

# style field offsets, relative to style_at()
ST_DAY = const(0)
ST_NIGHT = const(12)
ST_CAP_DAY = const(24)
ST_CAP_NIGHT = const(25)
ST_MOTOR = const(26)
ST_PATTERN = const(27)
# colour slots inside a colour set (3 bytes each)
SLOT_TENSE = const(0)
SLOT_RELEASE = const(3)
SLOT_BREATH = const(6)
SLOT_REST = const(9)

POSITION_MS = const(2000)
END_MS = const(3000)
MAX_MS = const(5_400_000)  # 90 min per protocol, END included

_HEADER = const(8)
_DIR = const(6)
_STYLE = const(28)
_MIN_LEN = const(16)
_MAX_LEN = const(8192)
_VERSION = const(1)


def _u16(mv, i):
    return mv[i] | (mv[i + 1] << 8)


def op_size(op):
    # bytes of an op including its opcode; 0 = unknown opcode
    if op == OP_GROUP:
        return 6
    if op == OP_BREATH:
        return 14
    if op == OP_REST or op == OP_CHECK:
        return 3
    if op == OP_PMR or op == OP_REPEAT:
        return 2
    if op == OP_END or op == OP_END_REPEAT:
        return 1
    return 0


def phase_ms(p0, p1, e, ramp_s):
    # Doc rule p0*100 + ((p1-p0)*100*min(e, ramp_ms)) // ramp_ms, reduced by 100 so
    # the product stays a small int on rp2 (|p1-p0| <= 200, e <= 3.6e6: < 2^30).
    if ramp_s == 0:
        return p0 * 100
    r = ramp_s * 1000
    if e > r:
        e = r
    return p0 * 100 + ((p1 - p0) * e) // (ramp_s * 10)


def _cycle_ms(mv, pc, e, ramp_s):
    return (
        phase_ms(mv[pc + 2], mv[pc + 6], e, ramp_s)
        + phase_ms(mv[pc + 3], mv[pc + 7], e, ramp_s)
        + phase_ms(mv[pc + 4], mv[pc + 8], e, ramp_s)
        + phase_ms(mv[pc + 5], mv[pc + 9], e, ramp_s)
    )


def breath_ms(mv, pc, budget=MAX_MS):
    # Duration of the BREATH op at pc; stops counting once past budget (bounded work).
    cycles = mv[pc + 1] & 1
    ramp_s = _u16(mv, pc + 10)
    length = _u16(mv, pc + 12)
    limit = length * 1000
    ramp = ramp_s * 1000
    e = 0
    n = 0
    # ramping part: one cycle at a time (each cycle is >= 2 s, so <= 1800 rounds)
    while e < ramp and e <= budget:
        if cycles:
            if n >= length:
                return e
        elif e >= limit:
            return e
        e += _cycle_ms(mv, pc, e, ramp_s)
        n += 1
    if e > budget:
        return e
    # after the ramp every cycle is the same length: closed form
    c = _cycle_ms(mv, pc, e, ramp_s)
    if cycles:
        return e + (length - n) * c if n < length else e
    if e < limit:
        e += ((limit - e + c - 1) // c) * c
    return e


def program_ms(mv, pc):
    # Duration of a structurally valid program: END edge time + END_MS.
    # Returns MAX_MS + 1 as soon as it is known to be longer than MAX_MS.
    budget = MAX_MS - END_MS
    total = 0
    mult = 1
    m1 = 1  # multiplier outside the inner REPEAT (nesting is at most 2)
    m0 = 1
    depth = 0
    while True:
        op = mv[pc]
        d = 0
        if op == OP_END:
            return total + END_MS
        if op == OP_GROUP:
            d = POSITION_MS + mv[pc + 5] * (mv[pc + 2] + _u16(mv, pc + 3)) * 100
        elif op == OP_BREATH:
            d = breath_ms(mv, pc, budget)
        elif op == OP_REST or op == OP_CHECK:
            d = (_u16(mv, pc + 1) if op == OP_REST else mv[pc + 2]) * 1000
        elif op == OP_REPEAT:
            if depth == 0:
                m0 = mult
            else:
                m1 = mult
            depth += 1
            mult *= mv[pc + 1]
        elif op == OP_END_REPEAT:
            depth -= 1
            mult = m0 if depth == 0 else m1
        if d:
            if d > (budget - total) // mult:
                return MAX_MS + 1
            total += d * mult
        pc += op_size(op)


def _breath_ok(mv, pc):
    if mv[pc + 1] & 0xFC:
        return False
    for k in (2, 4, 6, 8):  # in0, out0, in1, out1
        v = mv[pc + k]
        if v < 10 or v > 200:
            return False
    for k in (3, 5, 7, 9):  # hold0, pause0, hold1, pause1
        if mv[pc + k] > 200:
            return False
    n = _u16(mv, pc + 12)
    if n < 1 or n > (600 if mv[pc + 1] & 1 else 1800):
        return False
    return _u16(mv, pc + 10) <= 3600


def _limit_ok(mv, op, pc):
    if op == OP_GROUP:
        t = mv[pc + 2]
        f = _u16(mv, pc + 3)
        r = mv[pc + 5]
        return mv[pc + 1] <= 254 and 10 <= t <= 100 and 50 <= f <= 1200 and 1 <= r <= 10
    if op == OP_BREATH:
        return _breath_ok(mv, pc)
    if op == OP_REST:
        return 10 <= _u16(mv, pc + 1) <= 3600
    if op == OP_CHECK:
        return mv[pc + 1] <= 4 and 3 <= mv[pc + 2] <= 120
    return True


def scan(mv, pc, end):
    # Opcode, structure and limit checks of one program, op by op.
    depth = 0
    groups = 0  # GROUP ops still owed to the last PMR
    blocks = 0  # block indices must fit a byte, 255 meaning none
    while True:
        if pc >= end:
            return E_OPCODE  # ran off the programs area: missing END
        op = mv[pc]
        n = op_size(op)
        if n == 0 or pc + n > end:
            return E_OPCODE
        if groups:
            if op != OP_GROUP:
                return E_STRUCTURE
            groups -= 1
        elif op == OP_GROUP:
            return E_STRUCTURE  # GROUP outside a PMR block
        if op == OP_PMR or op == OP_BREATH or op == OP_REST or op == OP_CHECK:
            blocks += 1
            if blocks > 255:
                return E_STRUCTURE
        if op == OP_END:
            return E_STRUCTURE if depth else E_OK
        if op == OP_PMR:
            groups = mv[pc + 1]
            if groups == 0:
                return E_STRUCTURE
        elif op == OP_REPEAT:
            depth += 1
            c = mv[pc + 1]
            if depth > 2 or c < 2 or c > 20:
                return E_STRUCTURE
        elif op == OP_END_REPEAT:
            if depth == 0:
                return E_STRUCTURE
            depth -= 1
        elif not _limit_ok(mv, op, pc):
            return E_LIMIT
        pc += n


def _directory(mv, n, s, start, end):
    if n < 1 or n > 32 or s < 1 or s > 16 or mv[7] != 0 or start >= end:
        return E_DIRECTORY
    for i in range(n):
        d = _HEADER + i * _DIR
        pid = mv[d]
        if pid == 0 or pid == 255 or mv[d + 1] >= s or mv[d + 3] != 0:
            return E_DIRECTORY
        f = mv[d + 2]
        if f & 0xFC or f & 3 == 3:
            return E_DIRECTORY
        off = _u16(mv, d + 4)
        if off < start or off >= end:
            return E_DIRECTORY
        for j in range(i):
            if mv[_HEADER + j * _DIR] == pid:
                return E_DIRECTORY
    return E_OK


def validate(buf):
    # 0 if the whole table is playable, else the first failing E_* code, in the
    # order given in docs/table-format.md (Validation).
    mv = memoryview(buf)
    size = len(mv)
    if size < _MIN_LEN:
        return E_LENGTH
    if mv[0] != 0x4F or mv[1] != 0x53:
        return E_MAGIC
    if mv[2] != _VERSION:
        return E_VERSION
    if size > _MAX_LEN or _u16(mv, 4) != size:
        return E_LENGTH
    if binascii.crc32(mv[: size - 4]) != struct.unpack_from("<I", mv, size - 4)[0]:
        return E_CRC
    n = mv[3]
    s = mv[6]
    start = _HEADER + n * _DIR + s * _STYLE
    end = size - 4
    err = _directory(mv, n, s, start, end)
    if err:
        return err
    for i in range(s):
        st = _HEADER + n * _DIR + i * _STYLE
        if mv[st + ST_CAP_DAY] == 0 or mv[st + ST_CAP_NIGHT] == 0 or mv[st + ST_PATTERN] & 0xF0:
            return E_LIMIT
    for i in range(n):
        err = scan(mv, _u16(mv, _HEADER + i * _DIR + 4), end)
        if err:
            return err
    for i in range(n):
        if program_ms(mv, _u16(mv, _HEADER + i * _DIR + 4)) > MAX_MS:
            return E_DURATION
    return E_OK


class Table:
    # A validated table over the caller's buffer (no copy). Check .err before use.
    def __init__(self, buf):
        self.buf = memoryview(buf)
        self.err = validate(self.buf)

    def count(self):
        return 0 if self.err else self.buf[3]

    def proto_id(self, i):
        return self.buf[_HEADER + i * _DIR]

    def style_index(self, i):
        return self.buf[_HEADER + i * _DIR + 1]

    def flags(self, i):
        return self.buf[_HEADER + i * _DIR + 2]

    def rating(self, i):
        return self.buf[_HEADER + i * _DIR + 2] & 3

    def program(self, i):
        return _u16(self.buf, _HEADER + i * _DIR + 4)

    def index_of(self, pid):
        for i in range(self.count()):
            if self.buf[_HEADER + i * _DIR] == pid:
                return i
        return -1

    def style_count(self):
        return self.buf[6]

    def style_at(self, si):
        # byte offset of style si; fields at ST_* from there
        return _HEADER + self.buf[3] * _DIR + si * _STYLE

    def style_byte(self, si, field):
        return self.buf[self.style_at(si) + field]

    def crc(self):
        return struct.unpack_from("<I", self.buf, len(self.buf) - 4)[0]

    def duration_ms(self, i):
        return program_ms(self.buf, self.program(i))
