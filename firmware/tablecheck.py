# Protocol table: the validator (format: docs/table-format.md, Validation).
# validate() never raises on any bytes. It runs when a table is loaded (boot) or
# uploaded (COMMIT): table.Table loads this module for it, and storage.py lets it
# go after each, so a device that plays holds none of this code.
import binascii
import struct

from contract import (
    BLOCKS_MAX,
    BREATH_CYCLES,
    BREATH_CYCLES_MAX,
    BREATH_DS_MAX,
    BREATH_DS_MIN,
    BREATH_S_MAX,
    CHECK_S_MAX,
    CHECK_S_MIN,
    E_CRC,
    E_DIRECTORY,
    E_DURATION,
    E_LENGTH,
    E_LIMIT,
    E_MAGIC,
    E_OK,
    E_OPCODE,
    E_STRUCTURE,
    E_VERSION,
    FEEL_DS_MAX,
    FEEL_DS_MIN,
    GAP_DS_MAX,
    GROUP_MAX,
    K_PAUSE,
    KIND_COUNT,
    MAX_PATTERNS,
    MAX_PROTOCOLS,
    MAX_STYLES,
    OP_BREATH,
    OP_CHECK,
    OP_END,
    OP_END_REPEAT,
    OP_GROUP,
    OP_PMR,
    OP_REPEAT,
    OP_REST,
    PAT_BUILTIN,
    PROMPT_MAX,
    PROTOCOL_ID_MAX,
    PROTOCOL_ID_MIN,
    RAMP_S_MAX,
    RATING_MODE_BEFORE_AFTER,
    REPEAT_DEPTH,
    REPEAT_MAX,
    REPEAT_MIN,
    REPS_MAX,
    REPS_MIN,
    REST_S_MAX,
    REST_S_MIN,
    SESSION_MS_MAX,
    STYLE_CAP_DAY,
    STYLE_CAP_NIGHT,
    STYLE_HAPTIC,
    STYLE_PATTERNS,
    TABLE_CRC,
    TABLE_DIR_ENTRY,
    TABLE_HEADER,
    TABLE_MAGIC,
    TABLE_MAX,
    TABLE_MIN,
    TABLE_STYLE,
    TABLE_STYLE_1,
    TABLE_VERSION,
    TABLE_VERSION_1,
    TENSE_DS_MAX,
    TENSE_DS_MIN,
)
from haptic import pattern_ok, pool_end
from programtime import op_size, program_ms
from programtime import u16 as _u16


def _breath_ok(mv, pc):
    if mv[pc + 1] & 0xFC:  # flag bits other than BREATH_CYCLES | BREATH_BELLY
        return False
    for k in (2, 4, 6, 8):  # in0, out0, in1, out1
        v = mv[pc + k]
        if v < BREATH_DS_MIN or v > BREATH_DS_MAX:
            return False
    for k in (3, 5, 7, 9):  # hold0, pause0, hold1, pause1
        if mv[pc + k] > GAP_DS_MAX:
            return False
    n = _u16(mv, pc + 12)
    if n < 1 or n > (BREATH_CYCLES_MAX if mv[pc + 1] & BREATH_CYCLES else BREATH_S_MAX):
        return False
    return _u16(mv, pc + 10) <= RAMP_S_MAX


def _limit_ok(mv, op, pc):
    if op == OP_GROUP:
        t = mv[pc + 2]
        f = _u16(mv, pc + 3)
        r = mv[pc + 5]
        return (
            mv[pc + 1] <= GROUP_MAX
            and TENSE_DS_MIN <= t <= TENSE_DS_MAX
            and FEEL_DS_MIN <= f <= FEEL_DS_MAX
            and REPS_MIN <= r <= REPS_MAX
        )
    if op == OP_BREATH:
        return _breath_ok(mv, pc)
    if op == OP_REST:
        return REST_S_MIN <= _u16(mv, pc + 1) <= REST_S_MAX
    if op == OP_CHECK:
        return mv[pc + 1] <= PROMPT_MAX and CHECK_S_MIN <= mv[pc + 2] <= CHECK_S_MAX
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
            if blocks > BLOCKS_MAX:
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
            if depth > REPEAT_DEPTH or c < REPEAT_MIN or c > REPEAT_MAX:
                return E_STRUCTURE
        elif op == OP_END_REPEAT:
            if depth == 0:
                return E_STRUCTURE
            depth -= 1
        elif not _limit_ok(mv, op, pc):
            return E_LIMIT
        pc += n


def _style_ok(mv, st, v2, p):
    if mv[st + STYLE_CAP_DAY] == 0 or mv[st + STYLE_CAP_NIGHT] == 0:
        return False
    if not v2:
        return mv[st + STYLE_PATTERNS] & 0xF0 == 0
    if mv[st + STYLE_PATTERNS] or mv[st + STYLE_HAPTIC] > 1 or mv[st + STYLE_HAPTIC + K_PAUSE - 1]:
        return False
    for k in range(1, KIND_COUNT):  # the slots of kinds 2..KIND_COUNT (kind 1 checked above)
        v = mv[st + STYLE_HAPTIC + k]
        if v > p and v != PAT_BUILTIN:
            return False
    return True


def _directory(mv, n, s, start, end):
    if n < 1 or n > MAX_PROTOCOLS or s < 1 or s > MAX_STYLES or start < 0 or start >= end:
        return E_DIRECTORY
    for i in range(n):
        d = TABLE_HEADER + i * TABLE_DIR_ENTRY
        pid = mv[d]
        if pid < PROTOCOL_ID_MIN or pid > PROTOCOL_ID_MAX or mv[d + 1] >= s or mv[d + 3] != 0:
            return E_DIRECTORY
        f = mv[d + 2]
        if f & 0xFC or f & 3 > RATING_MODE_BEFORE_AFTER:
            return E_DIRECTORY
        off = _u16(mv, d + 4)
        if off < start or off >= end:
            return E_DIRECTORY
        for j in range(i):
            if mv[TABLE_HEADER + j * TABLE_DIR_ENTRY] == pid:
                return E_DIRECTORY
    return E_OK


def validate(buf):
    # 0 if the whole table is playable, else the first failing E_* code, in the
    # order given in docs/table-format.md (Validation).
    mv = memoryview(buf)
    size = len(mv)
    if size < TABLE_MIN:
        return E_LENGTH
    if mv[0] != TABLE_MAGIC[0] or mv[1] != TABLE_MAGIC[1]:
        return E_MAGIC
    v2 = mv[2] == TABLE_VERSION
    if not v2 and mv[2] != TABLE_VERSION_1:
        return E_VERSION
    if size > TABLE_MAX or _u16(mv, 4) != size:
        return E_LENGTH
    if binascii.crc32(mv[: size - TABLE_CRC]) != struct.unpack_from("<I", mv, size - TABLE_CRC)[0]:
        return E_CRC
    n = mv[3]
    s = mv[6]
    p = mv[7]  # format 2: pattern count; format 1: reserved, 0
    end = size - TABLE_CRC
    styles = TABLE_HEADER + n * TABLE_DIR_ENTRY
    pool = styles + s * (TABLE_STYLE if v2 else TABLE_STYLE_1)
    if v2:
        start = pool_end(mv, pool, p, end) if p <= MAX_PATTERNS else -1
    else:
        start = -1 if p else pool
    err = _directory(mv, n, s, start, end)
    if err:
        return err
    for i in range(s):
        if not _style_ok(mv, styles + i * (TABLE_STYLE if v2 else TABLE_STYLE_1), v2, p):
            return E_LIMIT
    at = pool
    for _ in range(p if v2 else 0):
        if not pattern_ok(mv, at):
            return E_LIMIT
        at += 1 + 2 * mv[at]
    for i in range(n):
        err = scan(mv, _u16(mv, TABLE_HEADER + i * TABLE_DIR_ENTRY + 4), end)
        if err:
            return err
    for i in range(n):
        if program_ms(mv, _u16(mv, TABLE_HEADER + i * TABLE_DIR_ENTRY + 4)) > SESSION_MS_MAX:
            return E_DURATION
    return E_OK
