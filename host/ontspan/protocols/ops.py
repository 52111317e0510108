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

from .model import BreathBlock, CheckBlock, PmrBlock, Protocol, RepeatBlock, RestBlock

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
