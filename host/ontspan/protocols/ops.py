"""A program as ops: the table format's opcodes and their argument layouts
(docs/table-format.md), and a protocol turned into them.

Everything below this module (timeline, encoder, decoder) works on ops, never
on TOML values, so the host and the firmware meet on the same integers.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..shared import C, code_names
from .model import BreathBlock, CheckBlock, PmrBlock, Protocol, RepeatBlock, RestBlock

MAGIC = C.TABLE_MAGIC
VERSION = C.TABLE_VERSION
HEADER = C.TABLE_HEADER
DIR_ENTRY = C.TABLE_DIR_ENTRY
STYLE_SIZE = C.TABLE_STYLE
CRC_SIZE = C.TABLE_CRC
MAX_TABLE = C.TABLE_MAX
MAX_PROTOCOLS = C.MAX_PROTOCOLS
MAX_STYLES = C.MAX_STYLES
MAX_PROGRAM_BYTES = MAX_TABLE - HEADER - DIR_ENTRY - STYLE_SIZE - CRC_SIZE

OP_END = C.OP_END
OP_PMR = C.OP_PMR
OP_GROUP = C.OP_GROUP
OP_BREATH = C.OP_BREATH
OP_REST = C.OP_REST
OP_CHECK = C.OP_CHECK
OP_REPEAT = C.OP_REPEAT
OP_END_REPEAT = C.OP_END_REPEAT

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
OP_NAMES = code_names("OP_")
OP_SIZE = {op: 1 + struct.calcsize(fmt) if fmt else 1 for op, fmt in OP_ARGS.items()}
BLOCK_OPS = (OP_PMR, OP_BREATH, OP_REST, OP_CHECK)

BREATH_CYCLES = C.BREATH_CYCLES
BREATH_BELLY = C.BREATH_BELLY

Op = tuple[int, ...]  # (opcode, *arguments)


@dataclass(frozen=True)
class DecodedProgram:
    """One directory entry of a table and its program, as the decoder read it."""

    id: int
    style: int
    rating: int
    offset: int
    ops: tuple[Op, ...]


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
