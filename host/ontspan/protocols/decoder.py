"""Table bytes -> ops: the host-side decoder of docs/table-format.md.

It applies every check of the format, in the documented order, so the tests
can hold host bytes and firmware behaviour (firmware/table.py) against the
same contract.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from ..errors import InputError
from ..shared import C, code_names
from .compiler import table_crc
from .haptics import BUILTIN, FAMILY_BITS, KIND_CODES, KINDS, Pattern, from_units, problems
from .model import Style
from .ops import (
    BLOCK_OPS,
    BREATH_CYCLES,
    CRC_SIZE,
    DIR_ENTRY,
    HEADER,
    MAGIC,
    MAX_PROTOCOLS,
    MAX_STYLES,
    MAX_TABLE,
    OP_ARGS,
    OP_BREATH,
    OP_CHECK,
    OP_END,
    OP_END_REPEAT,
    OP_GROUP,
    OP_NAMES,
    OP_PMR,
    OP_REPEAT,
    OP_REST,
    OP_SIZE,
    STYLE_SIZE,
    VERSION,
    DecodedProgram,
    Op,
)
from .timeline import duration_ms

E_LENGTH, E_MAGIC, E_VERSION, E_CRC = C.E_LENGTH, C.E_MAGIC, C.E_VERSION, C.E_CRC
E_DIRECTORY, E_OPCODE, E_STRUCTURE = C.E_DIRECTORY, C.E_OPCODE, C.E_STRUCTURE
E_LIMIT, E_DURATION = C.E_LIMIT, C.E_DURATION
ERROR_NAMES = code_names("E_", keep_prefix=True)


class TableError(InputError):
    """Bad table bytes; `code` is the format's error code (1 E_LENGTH .. 9 E_DURATION)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"bad table: {ERROR_NAMES[code]}: {message}")
        self.code = code


@dataclass(frozen=True)
class DecodedTable:
    version: int
    crc: str
    styles: tuple[Style, ...]
    programs: tuple[DecodedProgram, ...]

    def program(self, pid: int) -> DecodedProgram:
        for p in self.programs:
            if p.id == pid:
                return p
        raise KeyError(pid)


def decode_table(data: bytes) -> DecodedTable:
    """Validate and decode table bytes; raises TableError with the format's error code."""
    data = bytes(data)
    size = len(data)
    if size < C.TABLE_MIN:
        raise TableError(E_LENGTH, f"{size} bytes; a table is at least {C.TABLE_MIN}")
    if data[:2] != MAGIC:
        raise TableError(E_MAGIC, f"starts with {data[:2]!r}, not {MAGIC!r}")
    version = data[2]
    if version not in (VERSION, C.TABLE_VERSION_1):
        raise TableError(
            E_VERSION, f"format version {version}; this host reads {C.TABLE_VERSION_1} and {VERSION}"
        )
    n, length, s, npat = struct.unpack_from("<BHBB", data, 3)
    if length != size or size > MAX_TABLE:
        raise TableError(E_LENGTH, f"length field {length}, actual {size}, limit {MAX_TABLE}")
    stored = struct.unpack_from("<I", data, size - 4)[0]
    if zlib.crc32(data[:-CRC_SIZE]) != stored:
        raise TableError(E_CRC, f"CRC {zlib.crc32(data[:-CRC_SIZE]):08x} != stored {stored:08x}")
    v1 = version == C.TABLE_VERSION_1
    most = 0 if v1 else C.MAX_PATTERNS
    if not 1 <= n <= MAX_PROTOCOLS or not 1 <= s <= MAX_STYLES or npat > most:
        raise TableError(
            E_DIRECTORY,
            f"N={n} (1..{MAX_PROTOCOLS}), S={s} (1..{MAX_STYLES}), "
            f"{'reserved' if v1 else 'P'}={npat} (0..{most})",
        )
    style_size = C.TABLE_STYLE_1 if v1 else STYLE_SIZE
    pool = HEADER + DIR_ENTRY * n + style_size * s
    prog_end = size - CRC_SIZE
    records = _pattern_records(data, pool, npat, prog_end)
    prog_start = pool + sum(len(r) for r in records)
    if prog_start >= prog_end:
        raise TableError(E_DIRECTORY, "directory, styles and patterns leave no room for programs")
    entries: list[tuple[int, int, int, int]] = []
    for i in range(n):
        pid, si, flags, res, off = struct.unpack_from("<BBBBH", data, HEADER + DIR_ENTRY * i)
        where = f"directory entry {i} (id {pid})"
        if res or flags & ~0x03 or flags & 0x03 > C.RATING_MODE_BEFORE_AFTER:
            raise TableError(E_DIRECTORY, f"{where}: reserved bits or rating mode 3 set")
        if not C.PROTOCOL_ID_MIN <= pid <= C.PROTOCOL_ID_MAX or pid in [e[0] for e in entries]:
            raise TableError(E_DIRECTORY, f"{where}: id out of 1..{C.PROTOCOL_ID_MAX} or duplicate")
        if si >= s:
            raise TableError(E_DIRECTORY, f"{where}: style index {si} >= S={s}")
        if not prog_start <= off < prog_end:
            raise TableError(E_DIRECTORY, f"{where}: program offset {off} outside programs area")
        entries.append((pid, si, flags & 3, off))
    raw_styles = [data[HEADER + DIR_ENTRY * n + style_size * k :][:style_size] for k in range(s)]
    for k, raw in enumerate(raw_styles):
        _check_style(raw, v1, npat, HEADER + DIR_ENTRY * n + style_size * k)
    pats = []
    for k, r in enumerate(records):
        bad = problems(from_units(r))
        if bad:
            raise TableError(E_LIMIT, f"motor pattern {k + 1}: {bad[0][1]}")
        pats.append(from_units(r))
    styles = tuple(_decode_style(raw, v1, pats) for raw in raw_styles)
    programs = []
    for pid, si, rating, off in entries:
        ops = _decode_program(data, off, prog_end, pid)
        programs.append(DecodedProgram(pid, si, rating, off, ops))

    for prog in programs:
        total = duration_ms(prog)
        if total > C.SESSION_MS_MAX:
            raise TableError(
                E_DURATION, f"protocol {prog.id} lasts {total} ms > {C.SESSION_MS_MAX}"
            )
    return DecodedTable(version, table_crc(data), styles, tuple(programs))


def _pattern_records(data: bytes, at: int, count: int, end: int) -> list[bytes]:
    """The raw pattern records after the styles (format 2), as the device walks them."""
    out = []
    for k in range(count):
        if at >= end or not 1 <= data[at] <= C.PAT_SEGMENTS_MAX or at + 1 + 2 * data[at] > end:
            raise TableError(
                E_DIRECTORY,
                f"motor pattern {k + 1} at {at}: segment count outside 1..{C.PAT_SEGMENTS_MAX} "
                "or past the table",
            )
        out.append(data[at : at + 1 + 2 * data[at]])
        at += len(out[-1])
    return out


def _check_style(raw: bytes, v1: bool, npat: int, at: int) -> None:
    if not raw[C.STYLE_CAP_DAY] or not raw[C.STYLE_CAP_NIGHT]:
        raise TableError(E_LIMIT, f"style at {at}: brightness cap 0")
    if v1:
        if raw[C.STYLE_PATTERNS] & 0xF0:
            raise TableError(E_LIMIT, f"style at {at}: pattern bits 4-7 set")
        return
    slots = raw[C.STYLE_HAPTIC :]
    if raw[C.STYLE_PATTERNS] or slots[C.K_POSITION - 1] > 1 or slots[C.K_PAUSE - 1]:
        raise TableError(E_LIMIT, f"style at {at}: reserved byte, position or pause slot not 0/1")
    nums = [v for v in slots[1:] if v != C.PAT_BUILTIN]
    if max(nums) > npat:
        raise TableError(E_LIMIT, f"style at {at}: pattern number {max(nums)} > P={npat}")


def _decode_style(raw: bytes, v1: bool, pats: list[Pattern]) -> Style:
    cols = [tuple(raw[i : i + 3]) for i in range(C.STYLE_DAY, C.STYLE_CAP_DAY, 3)]
    day_b, night_b, strength = raw[C.STYLE_CAP_DAY], raw[C.STYLE_CAP_NIGHT], raw[C.STYLE_MOTOR]
    if v1:  # the built-in patterns, as the pattern bits switch them on
        bits = raw[C.STYLE_PATTERNS]
        motor = tuple(BUILTIN[k] if bits & FAMILY_BITS[k] else None for k in KINDS)
        position = bool(bits & C.PATTERN_TAPS)
    else:
        slots = raw[C.STYLE_HAPTIC :]
        motor = tuple(_pattern(slots[KIND_CODES[k] - 1], k, pats) for k in KINDS)
        position = bool(slots[C.K_POSITION - 1])
    return Style(tuple(cols[:4]), tuple(cols[4:]), day_b, night_b, strength, motor, position)  # type: ignore[arg-type]


def _pattern(num: int, kind: str, pats: list[Pattern]) -> Pattern | None:
    if num == C.PAT_BUILTIN:
        return BUILTIN[kind]
    return pats[num - 1] if num else None


def _decode_program(data: bytes, pos: int, end: int, pid: int) -> tuple[Op, ...]:
    ops: list[Op] = []
    depth = 0
    pmr_left = 0
    blocks = 0
    while True:
        where = f"protocol {pid}, offset {pos}"
        if pos >= end:
            raise TableError(E_OPCODE, f"{where}: program runs past the table (missing END)")
        code = data[pos]
        if code not in OP_ARGS:
            raise TableError(E_OPCODE, f"{where}: unknown opcode 0x{code:02x}")
        if pos + OP_SIZE[code] > end:
            raise TableError(E_OPCODE, f"{where}: {OP_NAMES[code]} runs past the table")
        fmt = OP_ARGS[code]
        op: Op = (code, *struct.unpack_from(fmt, data, pos + 1)) if fmt else (code,)
        pos += OP_SIZE[code]
        if pmr_left and code != OP_GROUP:
            raise TableError(E_STRUCTURE, f"{where}: PMR expects {pmr_left} more GROUP ops")
        if code == OP_GROUP and not pmr_left:
            raise TableError(E_STRUCTURE, f"{where}: GROUP outside a PMR block")
        if code in BLOCK_OPS:
            blocks += 1
            if blocks > C.BLOCKS_MAX:
                raise TableError(E_STRUCTURE, f"{where}: more than {C.BLOCKS_MAX} block ops")
        if code == OP_END:
            if depth:
                raise TableError(E_STRUCTURE, f"{where}: END inside an open REPEAT")
            ops.append(op)
            return tuple(ops)
        if code == OP_REPEAT:
            depth += 1
            if depth > C.REPEAT_DEPTH or not C.REPEAT_MIN <= op[1] <= C.REPEAT_MAX:
                raise TableError(E_STRUCTURE, f"{where}: REPEAT depth {depth} or count {op[1]}")
        elif code == OP_END_REPEAT:
            if not depth:
                raise TableError(E_STRUCTURE, f"{where}: END_REPEAT without REPEAT")
            depth -= 1
        elif code == OP_PMR:
            if not op[1]:
                raise TableError(E_STRUCTURE, f"{where}: PMR with 0 groups")
            pmr_left = op[1]
        elif code == OP_GROUP:
            pmr_left -= 1
        _check_limits(op, where)
        ops.append(op)


def _check_limits(op: Op, where: str) -> None:
    code = op[0]
    bad = False
    if code == OP_GROUP:
        _, group, tense, feel, reps = op
        bad = group > C.GROUP_MAX or not C.TENSE_DS_MIN <= tense <= C.TENSE_DS_MAX
        bad = (
            bad
            or not C.FEEL_DS_MIN <= feel <= C.FEEL_DS_MAX
            or not C.REPS_MIN <= reps <= C.REPS_MAX
        )
    elif code == OP_BREATH:
        flags, i0, h0, o0, p0, i1, h1, o1, p1, ramp, length = op[1:]
        bad = bool(flags & ~(BREATH_CYCLES | C.BREATH_BELLY)) or not 0 <= ramp <= C.RAMP_S_MAX
        bad = bad or any(not C.BREATH_DS_MIN <= v <= C.BREATH_DS_MAX for v in (i0, o0, i1, o1))
        bad = bad or any(v > C.GAP_DS_MAX for v in (h0, p0, h1, p1))
        most = C.BREATH_CYCLES_MAX if flags & BREATH_CYCLES else C.BREATH_S_MAX
        bad = bad or not 1 <= length <= most
    elif code == OP_REST:
        bad = not C.REST_S_MIN <= op[1] <= C.REST_S_MAX
    elif code == OP_CHECK:
        bad = op[1] > C.PROMPT_MAX or not C.CHECK_S_MIN <= op[2] <= C.CHECK_S_MAX
    if bad:
        raise TableError(E_LIMIT, f"{where}: {OP_NAMES[code]} {op[1:]} outside its limits")
