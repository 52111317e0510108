# How long a program plays, worked out from its table bytes with integers only:
# the validator refuses a table whose session would pass SESSION_MS_MAX, and the
# engine ramps breathing phases by phase_ms. Bounded work on any bytes.
from contract import (
    BREATH_CYCLES,
    END_MS,
    OP_BREATH,
    OP_CHECK,
    OP_END,
    OP_END_REPEAT,
    OP_GROUP,
    OP_PMR,
    OP_REPEAT,
    OP_REST,
    POSITION_MS,
    SESSION_MS_MAX,
)


def u16(mv, i):
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


def breath_ms(mv, pc, budget=SESSION_MS_MAX):
    # Duration of the BREATH op at pc; stops counting once past budget (bounded work).
    cycles = mv[pc + 1] & BREATH_CYCLES
    ramp_s = u16(mv, pc + 10)
    length = u16(mv, pc + 12)
    limit = length * 1000
    ramp = ramp_s * 1000
    e = 0
    n = 0
    # ramping part: one cycle at a time (each cycle is >= 2 s, so <= 1800 rounds).
    # _cycle_ms written out with the phases' start values and slopes read once: the
    # same integers (e < ramp, so phase_ms never clamps here) at a fifth of the calls,
    # most of what a COMMIT and the boot spend validating a table on a Pico.
    if ramp:
        a0 = mv[pc + 2]
        a1 = mv[pc + 3]
        a2 = mv[pc + 4]
        a3 = mv[pc + 5]
        d0 = mv[pc + 6] - a0
        d1 = mv[pc + 7] - a1
        d2 = mv[pc + 8] - a2
        d3 = mv[pc + 9] - a3
        base = (a0 + a1 + a2 + a3) * 100
        div = ramp_s * 10
        while e < ramp and e <= budget:
            if cycles:
                if n >= length:
                    return e
            elif e >= limit:
                return e
            e += base + (d0 * e) // div + (d1 * e) // div + (d2 * e) // div + (d3 * e) // div
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
    # Returns SESSION_MS_MAX + 1 as soon as it is known to be longer than SESSION_MS_MAX.
    budget = SESSION_MS_MAX - END_MS
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
            d = POSITION_MS + mv[pc + 5] * (mv[pc + 2] + u16(mv, pc + 3)) * 100
        elif op == OP_BREATH:
            d = breath_ms(mv, pc, budget)
        elif op == OP_REST or op == OP_CHECK:
            d = (u16(mv, pc + 1) if op == OP_REST else mv[pc + 2]) * 1000
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
                return SESSION_MS_MAX + 1
            total += d * mult
        pc += op_size(op)
