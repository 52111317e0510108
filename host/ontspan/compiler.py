"""Protocols -> table bytes (docs/table-format.md), and the host-side decoder.

The decoder applies every check of the format, in the documented order, so the
tests can hold host bytes and firmware behaviour against the same contract.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InputError
from .protocol import (
    BreathBlock,
    CheckBlock,
    PmrBlock,
    Protocol,
    RepeatBlock,
    RestBlock,
    Style,
    iter_blocks,
)

MAGIC = b"OS"
VERSION = 1
HEADER = 8
DIR_ENTRY = 6
STYLE_SIZE = 28
CRC_SIZE = 4
MAX_TABLE = 8192
MAX_PROTOCOLS = 32
MAX_STYLES = 16
MAX_PROGRAM_BYTES = MAX_TABLE - HEADER - DIR_ENTRY - STYLE_SIZE - CRC_SIZE

OP_END = 0x01
OP_PMR = 0x10
OP_GROUP = 0x11
OP_BREATH = 0x20
OP_REST = 0x30
OP_CHECK = 0x40
OP_REPEAT = 0x50
OP_END_REPEAT = 0x51

# argument layouts after the opcode byte
OP_ARGS = {
    OP_END: "",
    OP_PMR: "<B",
    OP_GROUP: "<BBHB",
    OP_BREATH: "<BBBBBBBBBHH",
    OP_REST: "<H",
    OP_CHECK: "<BB",
    OP_REPEAT: "<B",
    OP_END_REPEAT: "",
}
OP_NAMES = {
    OP_END: "END",
    OP_PMR: "PMR",
    OP_GROUP: "GROUP",
    OP_BREATH: "BREATH",
    OP_REST: "REST",
    OP_CHECK: "CHECK",
    OP_REPEAT: "REPEAT",
    OP_END_REPEAT: "END_REPEAT",
}
OP_SIZE = {op: 1 + struct.calcsize(fmt) if fmt else 1 for op, fmt in OP_ARGS.items()}
BLOCK_OPS = (OP_PMR, OP_BREATH, OP_REST, OP_CHECK)

BREATH_CYCLES = 0x01
BREATH_BELLY = 0x02

E_LENGTH, E_MAGIC, E_VERSION, E_CRC, E_DIRECTORY = 1, 2, 3, 4, 5
E_OPCODE, E_STRUCTURE, E_LIMIT, E_DURATION = 6, 7, 8, 9
ERROR_NAMES = {
    1: "E_LENGTH",
    2: "E_MAGIC",
    3: "E_VERSION",
    4: "E_CRC",
    5: "E_DIRECTORY",
    6: "E_OPCODE",
    7: "E_STRUCTURE",
    8: "E_LIMIT",
    9: "E_DURATION",
}

Op = tuple[int, ...]  # (opcode, *arguments)


class CompileError(InputError):
    """The protocols do not fit one table (count, styles, size, duplicate ids)."""


class TableError(InputError):
    """Bad table bytes; `code` is the format's error code (1 E_LENGTH .. 9 E_DURATION)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"bad table: {ERROR_NAMES[code]}: {message}")
        self.code = code


# ---------------------------------------------------------------- encoding


def protocol_ops(proto: Protocol) -> list[Op]:
    """The program of one protocol as ops, ending with END."""
    ops: list[Op] = []
    _block_ops(proto.blocks, ops)
    ops.append((OP_END,))
    return ops


def _block_ops(blocks: Sequence[Any], ops: list[Op]) -> None:
    for b in blocks:
        if isinstance(b, PmrBlock):
            ops.append((OP_PMR, len(b.groups)))
            for g in b.groups:
                ops.append((OP_GROUP, g.number, g.tense_ds, g.feel_ds, g.reps))
        elif isinstance(b, BreathBlock):
            flags = (BREATH_CYCLES if b.cycles else 0) | (BREATH_BELLY if b.belly else 0)
            phases = (b.in0, b.hold0, b.out0, b.pause0, b.in1, b.hold1, b.out1, b.pause1)
            ops.append((OP_BREATH, flags, *phases, b.ramp_s, b.length))
        elif isinstance(b, RestBlock):
            ops.append((OP_REST, b.seconds))
        elif isinstance(b, CheckBlock):
            ops.append((OP_CHECK, b.prompt, b.seconds))
        elif isinstance(b, RepeatBlock):
            ops.append((OP_REPEAT, b.count))
            _block_ops(b.blocks, ops)
            ops.append((OP_END_REPEAT,))


def encode_ops(ops: Sequence[Op]) -> bytes:
    out = bytearray()
    for op in ops:
        fmt = OP_ARGS[op[0]]
        out.append(op[0])
        if fmt:
            out += struct.pack(fmt, *op[1:])
    return bytes(out)


def compile_table(protocols: Sequence[Protocol]) -> bytes:
    """One table for all `protocols`, in id order; identical styles are stored once."""
    protos = sorted(protocols, key=lambda p: p.id)
    if not 1 <= len(protos) <= MAX_PROTOCOLS:
        raise CompileError(f"{len(protos)} protocols; a table holds 1 to {MAX_PROTOCOLS}")
    ids = [p.id for p in protos]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise CompileError(f"duplicate protocol id(s) {dup}; ids are unique in a table")
    styles: list[bytes] = []
    style_index = []
    for p in protos:
        sb = p.style.to_bytes()
        if sb not in styles:
            styles.append(sb)
        style_index.append(styles.index(sb))
    if len(styles) > MAX_STYLES:
        raise CompileError(f"{len(styles)} different styles; a table holds at most {MAX_STYLES}")
    prog_start = HEADER + DIR_ENTRY * len(protos) + STYLE_SIZE * len(styles)
    programs = bytearray()
    directory = bytearray()
    for p, si in zip(protos, style_index, strict=True):
        directory += struct.pack("<BBBBH", p.id, si, p.rating, 0, prog_start + len(programs))
        programs += encode_ops(protocol_ops(p))
    total = prog_start + len(programs) + CRC_SIZE
    if total > MAX_TABLE:
        raise CompileError(f"the table would be {total} bytes; at most {MAX_TABLE} fit")
    body = (
        MAGIC
        + struct.pack("<BBHBB", VERSION, len(protos), total, len(styles), 0)
        + bytes(directory)
        + b"".join(styles)
        + bytes(programs)
    )
    return body + struct.pack("<I", zlib.crc32(body))


def table_crc(data: bytes) -> str:
    """The table's identity: its stored CRC-32 as 8 hex digits."""
    return f"{struct.unpack_from('<I', data, len(data) - 4)[0]:08x}"


def table_names(protocols: Sequence[Protocol]) -> dict[str, Any]:
    """What the device does not store: names, titles, block labels and group names by id."""
    out: dict[str, Any] = {}
    for p in sorted(protocols, key=lambda p: p.id):
        blocks = []
        for i, b in enumerate(iter_blocks(p.blocks)):
            entry: dict[str, Any] = {"index": i, "type": _block_type(b), "label": b.label}  # type: ignore[union-attr]
            if isinstance(b, PmrBlock):
                entry["groups"] = [
                    {"index": j, "number": g.number, "name": g.name, "instruction": g.instruction}
                    for j, g in enumerate(b.groups)
                ]
            blocks.append(entry)
        out[str(p.id)] = {
            "name": p.name,
            "title": p.title,
            "description": p.description,
            "language": p.language,
            "version": p.version,
            "blocks": blocks,
        }
    return out


def _block_type(b: Any) -> str:
    return {PmrBlock: "pmr", BreathBlock: "breath", RestBlock: "rest", CheckBlock: "check"}[type(b)]


# ---------------------------------------------------------------- decoding


@dataclass(frozen=True)
class DecodedProgram:
    id: int
    style: int
    rating: int
    offset: int
    ops: tuple[Op, ...]


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
    if size < 16:
        raise TableError(E_LENGTH, f"{size} bytes; a table is at least 16")
    if data[:2] != MAGIC:
        raise TableError(E_MAGIC, f"starts with {data[:2]!r}, not {MAGIC!r}")
    if data[2] != VERSION:
        raise TableError(E_VERSION, f"format version {data[2]}; this host reads {VERSION}")
    n, length, s, reserved = struct.unpack_from("<BHBB", data, 3)
    if length != size or size > MAX_TABLE:
        raise TableError(E_LENGTH, f"length field {length}, actual {size}, limit {MAX_TABLE}")
    stored = struct.unpack_from("<I", data, size - 4)[0]
    if zlib.crc32(data[:-4]) != stored:
        raise TableError(E_CRC, f"CRC {zlib.crc32(data[:-4]):08x} != stored {stored:08x}")
    if not 1 <= n <= MAX_PROTOCOLS or not 1 <= s <= MAX_STYLES or reserved:
        raise TableError(E_DIRECTORY, f"N={n} (1..32), S={s} (1..16), reserved={reserved} (0)")
    prog_start = HEADER + DIR_ENTRY * n + STYLE_SIZE * s
    prog_end = size - CRC_SIZE
    if prog_start >= prog_end:
        raise TableError(E_DIRECTORY, "directory and styles leave no room for programs")
    entries: list[tuple[int, int, int, int]] = []
    for i in range(n):
        pid, si, flags, res, off = struct.unpack_from("<BBBBH", data, HEADER + DIR_ENTRY * i)
        where = f"directory entry {i} (id {pid})"
        if res or flags & ~0x03 or flags & 0x03 == 3:
            raise TableError(E_DIRECTORY, f"{where}: reserved bits or rating mode 3 set")
        if not 1 <= pid <= 254 or pid in [e[0] for e in entries]:
            raise TableError(E_DIRECTORY, f"{where}: id out of 1..254 or duplicate")
        if si >= s:
            raise TableError(E_DIRECTORY, f"{where}: style index {si} >= S={s}")
        if not prog_start <= off < prog_end:
            raise TableError(E_DIRECTORY, f"{where}: program offset {off} outside programs area")
        entries.append((pid, si, flags & 3, off))
    styles = tuple(_decode_style(data, HEADER + DIR_ENTRY * n + STYLE_SIZE * k) for k in range(s))
    programs = []
    for pid, si, rating, off in entries:
        ops = _decode_program(data, off, prog_end, pid)
        programs.append(DecodedProgram(pid, si, rating, off, ops))
    from .timeline import duration_ms

    for prog in programs:
        total = duration_ms(prog)
        if total > 90 * 60 * 1000:
            raise TableError(E_DURATION, f"protocol {prog.id} lasts {total} ms > 90 min")
    return DecodedTable(VERSION, table_crc(data), styles, tuple(programs))


def _decode_style(data: bytes, at: int) -> Style:
    raw = data[at : at + STYLE_SIZE]
    cols = [tuple(raw[i : i + 3]) for i in range(0, 24, 3)]
    day_b, night_b, motor, patterns = raw[24:28]
    if not day_b or not night_b or patterns & 0xF0:
        raise TableError(E_LIMIT, f"style at {at}: brightness cap 0 or pattern bits 4-7 set")
    return Style(tuple(cols[:4]), tuple(cols[4:]), day_b, night_b, motor, patterns)  # type: ignore[arg-type]


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
            if blocks > 255:
                raise TableError(E_STRUCTURE, f"{where}: more than 255 block ops")
        if code == OP_END:
            if depth:
                raise TableError(E_STRUCTURE, f"{where}: END inside an open REPEAT")
            ops.append(op)
            return tuple(ops)
        if code == OP_REPEAT:
            depth += 1
            if depth > 2 or not 2 <= op[1] <= 20:
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
        bad = group > 254 or not 10 <= tense <= 100 or not 50 <= feel <= 1200
        bad = bad or not 1 <= reps <= 10
    elif code == OP_BREATH:
        flags, i0, h0, o0, p0, i1, h1, o1, p1, ramp, length = op[1:]
        bad = bool(flags & ~0x03) or not 0 <= ramp <= 3600
        bad = bad or any(not 10 <= v <= 200 for v in (i0, o0, i1, o1))
        bad = bad or any(v > 200 for v in (h0, p0, h1, p1))
        bad = bad or not 1 <= length <= (600 if flags & BREATH_CYCLES else 1800)
    elif code == OP_REST:
        bad = not 10 <= op[1] <= 3600
    elif code == OP_CHECK:
        bad = op[1] > 4 or not 3 <= op[2] <= 120
    if bad:
        raise TableError(E_LIMIT, f"{where}: {OP_NAMES[code]} {op[1:]} outside its limits")
