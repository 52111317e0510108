"""firmware/programtime.py under MicroPython: the written-out ramp loop of breath_ms gives
the very integers of the phase-by-phase rule (phase_ms per phase, one cycle at a time)."""

import ast
import random

REFERENCE = """
import programtime as pt
from contract import BREATH_CYCLES, SESSION_MS_MAX

def reference(mv, pc, budget=SESSION_MS_MAX):
    cycles = mv[pc + 1] & BREATH_CYCLES
    ramp_s = pt.u16(mv, pc + 10)
    length = pt.u16(mv, pc + 12)
    limit = length * 1000
    ramp = ramp_s * 1000
    e = 0
    n = 0
    while e < ramp and e <= budget:
        if cycles:
            if n >= length:
                return e
        elif e >= limit:
            return e
        e += pt._cycle_ms(mv, pc, e, ramp_s)
        n += 1
    if e > budget:
        return e
    c = pt._cycle_ms(mv, pc, e, ramp_s)
    if cycles:
        return e + (length - n) * c if n < length else e
    if e < limit:
        e += ((limit - e + c - 1) // c) * c
    return e

res = []
for op in OPS:
    mv = memoryview(op)
    for budget in (SESSION_MS_MAX, 60000):
        res.append((pt.breath_ms(mv, 0, budget), reference(mv, 0, budget)))
print(repr(res))
"""


def _breath(rng: random.Random) -> bytes:
    """A BREATH op's bytes: flags, four phase starts, four phase ends (deciseconds),
    ramp seconds, length (seconds or cycles); values over the limits too."""
    b = bytearray(14)
    b[0] = 0x20  # the opcode is not read by breath_ms
    b[1] = rng.choice((0, 1))
    for i in range(2, 10):
        b[i] = rng.choice((0, 5, 10, 20, 40, 60, 80, 255, rng.randrange(256)))
    b[10:12] = rng.choice((0, 1, 30, 120, 600, 1800, rng.randrange(65536))).to_bytes(2, "little")
    b[12:14] = rng.choice((0, 1, 5, 60, 300, 600, rng.randrange(65536))).to_bytes(2, "little")
    return bytes(b)


def test_breath_ms_is_the_phase_by_phase_rule(mpy):
    rng = random.Random(23)
    ops = [_breath(rng) for _ in range(150)]
    ops = [op for op in ops if sum(op[2:6]) and sum(op[6:10])]  # a cycle of 0 ms: refused before
    got = ast.literal_eval(mpy.check(f"OPS = {ops!r}\n" + REFERENCE).strip())
    assert len(got) == 2 * len(ops)
    for (fast, slow), op in zip(got, [o for o in ops for _ in (0, 1)], strict=True):
        assert fast == slow, op.hex()
