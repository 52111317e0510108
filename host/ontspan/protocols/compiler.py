"""Protocols -> table bytes (docs/table-format.md); names the table does not carry."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from typing import Any

from ..errors import InputError
from .haptics import Pattern, to_units
from .model import BreathBlock, CheckBlock, PmrBlock, Protocol, RestBlock, Style, iter_blocks
from .ops import (
    CRC_SIZE,
    DIR_ENTRY,
    HEADER,
    MAGIC,
    MAX_PROTOCOLS,
    MAX_STYLES,
    MAX_TABLE,
    STYLE_SIZE,
    VERSION,
    encode_ops,
    protocol_ops,
)


class CompileError(InputError):
    """The protocols do not fit one table (count, styles, size, duplicate ids)."""


def compile_table(protocols: Sequence[Protocol]) -> bytes:
    """One table for all `protocols`, in id order; identical styles are stored once."""
    protos = sorted(protocols, key=lambda p: p.id)
    if not 1 <= len(protos) <= MAX_PROTOCOLS:
        raise CompileError(f"{len(protos)} protocols; a table holds 1 to {MAX_PROTOCOLS}")
    ids = [p.id for p in protos]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise CompileError(f"duplicate protocol id(s) {dup}; ids are unique in a table")
    styles: list[Style] = []
    style_index = []
    for p in protos:
        if p.style not in styles:
            styles.append(p.style)
        style_index.append(styles.index(p.style))
    if len(styles) > MAX_STYLES:
        raise CompileError(f"{len(styles)} different styles; a table holds at most {MAX_STYLES}")
    numbers: dict[Pattern, int] = {}
    for st in styles:
        for pat in st.patterns():
            numbers.setdefault(pat, len(numbers) + 1)
    pool = b"".join(to_units(pat) for pat in numbers)
    prog_start = HEADER + DIR_ENTRY * len(protos) + STYLE_SIZE * len(styles) + len(pool)
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
        + struct.pack("<BBHBB", VERSION, len(protos), total, len(styles), len(numbers))
        + bytes(directory)
        + b"".join(st.to_bytes(numbers) for st in styles)
        + pool
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
