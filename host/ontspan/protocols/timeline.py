"""The cue timeline of a program, exactly per the Timing section of docs/table-format.md.

It works on the compiled numbers (ops), never on the TOML values, so it is the
oracle the firmware engine is tested against: same integers, same floor
divisions, same edges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from ..shared import C, code_names
from .model import Protocol
from .ops import (
    BLOCK_OPS,
    BREATH_CYCLES,
    OP_BREATH,
    OP_CHECK,
    OP_END,
    OP_END_REPEAT,
    OP_GROUP,
    OP_PMR,
    OP_REPEAT,
    OP_REST,
    DecodedProgram,
    Op,
    protocol_ops,
)

# cue kinds by their short names; the values are the contract's K_*
POSITION, TENSE, RELEASE, IN, HOLD = C.K_POSITION, C.K_TENSE, C.K_RELEASE, C.K_IN, C.K_HOLD
OUT, PAUSE, REST, CHECK, END = C.K_OUT, C.K_PAUSE, C.K_REST, C.K_CHECK, C.K_END
KIND_NAMES = code_names("K_")
NONE = C.NO_GROUP
POSITION_MS = C.POSITION_MS
END_MS = C.END_MS


class Edge(NamedTuple):
    t_ms: int
    kind: int
    block: int
    group: int


Emit = Callable[[int, int, int, int], None]
# a node is ("block", index, ops of the block) or ("repeat", count, nodes)
Node = tuple[str, int, object]


def program_ops(source: Protocol | DecodedProgram | Sequence[Op]) -> list[Op]:
    if isinstance(source, Protocol):
        return protocol_ops(source)
    if isinstance(source, DecodedProgram):
        return list(source.ops)
    return list(source)


def _tree(ops: Sequence[Op]) -> list[Node]:
    """Nest the flat ops; number block ops in program order, once each."""
    stack: list[tuple[int, list[Node]]] = [(1, [])]
    index = 0
    i = 0
    while i < len(ops):
        op = ops[i]
        code = op[0]
        if code == OP_END:
            break
        if code == OP_REPEAT:
            stack.append((op[1], []))
        elif code == OP_END_REPEAT:
            count, body = stack.pop()
            stack[-1][1].append(("repeat", count, body))
        elif code in BLOCK_OPS:
            block = [op]
            if code == OP_PMR:
                block += ops[i + 1 : i + 1 + op[1]]
                i += op[1]
            stack[-1][1].append(("block", index, block))
            index += 1
        i += 1
    return stack[0][1]


def _play(nodes: list[Node], t: int, emit: Emit) -> int:
    for kind, n, payload in nodes:
        if kind == "repeat":
            for _ in range(n):
                t = _play(payload, t, emit)  # type: ignore[arg-type]
        else:
            t = _block(payload, n, t, emit)  # type: ignore[arg-type]
    return t


def _block(block: list[Op], index: int, t: int, emit: Emit) -> int:
    op = block[0]
    code = op[0]
    if code == OP_PMR:
        for g, group in enumerate(block[1:]):
            assert group[0] == OP_GROUP
            _, _, tense_ds, feel_ds, reps = group
            emit(t, POSITION, index, g)
            t += POSITION_MS
            for _ in range(reps):
                emit(t, TENSE, index, g)
                t += tense_ds * 100
                emit(t, RELEASE, index, g)
                t += feel_ds * 100
        return t
    if code == OP_BREATH:
        return _breath(op, index, t, emit)
    if code == OP_REST:
        emit(t, REST, index, NONE)
        return t + op[1] * 1000
    if code == OP_CHECK:
        emit(t, CHECK, index, NONE)
        return t + op[2] * 1000
    raise ValueError(f"not a block op: {op}")


def _breath(op: Op, index: int, t: int, emit: Emit) -> int:
    flags, i0, h0, o0, p0, i1, h1, o1, p1, ramp_s, length = op[1:]
    ramp_ms = ramp_s * 1000
    start = t
    cycles = 0
    phases = ((IN, i0, i1), (HOLD, h0, h1), (OUT, o0, o1), (PAUSE, p0, p1))
    while True:
        e = t - start
        if flags & BREATH_CYCLES:
            if cycles >= length:
                return t
        elif e >= length * 1000:
            return t
        for kind, a, b in phases:
            if ramp_ms > 0:
                p_ms = a * 100 + ((b - a) * 100 * min(e, ramp_ms)) // ramp_ms
            else:
                p_ms = a * 100
            if p_ms == 0 and kind in (HOLD, PAUSE):
                continue
            emit(t, kind, index, NONE)
            t += p_ms
        cycles += 1


def edges(source: Protocol | DecodedProgram | Sequence[Op]) -> list[Edge]:
    """Every cue edge of a session, ending with the END edge (block and group 255)."""
    out: list[Edge] = []

    def emit(t: int, kind: int, block: int, group: int) -> None:
        out.append(Edge(t, kind, block, group))

    t = _play(_tree(program_ops(source)), 0, emit)
    out.append(Edge(t, END, NONE, NONE))
    return out


def duration_ms(source: Protocol | DecodedProgram | Sequence[Op]) -> int:
    """Session length: the END edge plus its 3000 ms; repeats are multiplied, not replayed."""
    return _duration(_tree(program_ops(source))) + END_MS


def _duration(nodes: list[Node]) -> int:
    total = 0
    for kind, n, payload in nodes:
        if kind == "repeat":
            total += n * _duration(payload)  # type: ignore[arg-type]
        else:
            total += _block(payload, 0, 0, _ignore)  # type: ignore[arg-type]
    return total


def _ignore(t: int, kind: int, block: int, group: int) -> None:
    pass
