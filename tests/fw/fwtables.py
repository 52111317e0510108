"""Protocol tables built byte by byte from docs/table-format.md, and an independent
reference of its Timing rules, for the firmware tests (CPython side).

Opcodes, cue kinds and sizes are written out here on purpose, from the docs, not
imported from firmware/contract.py: an independent oracle catches a wrong contract value.
"""

import struct
import zlib

END, PMR, GROUP, BREATH, REST, CHECK, REPEAT, END_REPEAT = (
    0x01, 0x10, 0x11, 0x20, 0x30, 0x40, 0x50, 0x51,
)
POSITION_K, TENSE_K, RELEASE_K, IN_K, HOLD_K, OUT_K, PAUSE_K, REST_K, CHECK_K, END_K = range(1, 11)
NONE = 255

DAY = bytes([220, 90, 20, 40, 110, 160, 30, 120, 200, 150, 70, 20])
NIGHT = bytes([200, 40, 90, 120, 30, 200, 100, 30, 180, 90, 20, 160])  # blue on purpose


def op_end():
    return bytes([END])


def op_pmr(count):
    return bytes([PMR, count])


def op_group(group, tense_ds, feel_ds, reps):
    return struct.pack("<BBBHB", GROUP, group, tense_ds, feel_ds, reps)


def op_breath(i0, h0, o0, p0, i1=None, h1=None, o1=None, p1=None, ramp_s=0, length=60,
              cycles=False, belly=False):
    i1 = i0 if i1 is None else i1
    h1 = h0 if h1 is None else h1
    o1 = o0 if o1 is None else o1
    p1 = p0 if p1 is None else p1
    flags = (1 if cycles else 0) | (2 if belly else 0)
    return struct.pack("<10BHH", BREATH, flags, i0, h0, o0, p0, i1, h1, o1, p1, ramp_s, length)


def op_rest(seconds):
    return struct.pack("<BH", REST, seconds)


def op_check(prompt, seconds):
    return bytes([CHECK, prompt, seconds])


def op_repeat(count):
    return bytes([REPEAT, count])


def op_end_repeat():
    return bytes([END_REPEAT])


def record(*segments):
    """A motor pattern record: segment count, then (level, time in 10 ms) pairs."""
    return bytes([len(segments)]) + b"".join(bytes([lv, t]) for lv, t in segments)


# the built-in patterns of docs/table-format.md, in kind order TENSE, RELEASE, IN,
# HOLD, OUT, REST, CHECK, END (a style refers to them as 255, BUILTIN)
DEFAULT_PATTERNS = [
    record((255, 10), (0, 10), (255, 10), (0, 10), (255, 30)),
    record((255, 30), (192, 30), (128, 30)),
    record((255, 20)),
    record((255, 50)),
    record((255, 12), (0, 15), (255, 12)),
    record((255, 40), (0, 30), (255, 40)),
    record((255, 10), (0, 15), (255, 40)),
    record((255, 30), (0, 30), (255, 30), (0, 30), (255, 30)),
]


BUILTIN = 255


def haptic_slots(bits):
    """Format 2 pattern numbers per cue kind 1..10 for the format 1 pattern bits: the
    built-in patterns (bit0 tense+position, bit1 release, bit2 breath, bit3 rest/check/end)."""
    t, r, b, d = (BUILTIN if bits & m else 0 for m in (1, 2, 4, 8))
    return bytes([1 if t else 0, t, r, b, b, b, 0, d, d, d])


def style(day=DAY, night=NIGHT, cap_day=200, cap_night=60, motor=180, pattern=0x0F, haptic=None,
          version=2):
    """A style record; format 2: byte 27 keeps only pattern bits 4-7 (0 when valid) and
    `haptic` (10 pattern numbers) defaults to the slots the bits ask for."""
    head = bytes(day) + bytes(night) + bytes([cap_day, cap_night, motor])
    if version == 1:
        return head + bytes([pattern])
    return head + bytes([pattern & 0xF0]) + bytes(haptic_slots(pattern) if haptic is None else haptic)


def with_crc(body):
    return body + struct.pack("<I", zlib.crc32(body))


def table(programs, styles=None, ids=None, style_idx=None, flags=None, patterns=None, version=2):
    """A table with one directory entry per program (bytes), programs laid out in order;
    format 2 with `patterns` (records; default none) after the styles."""
    styles = styles or [style(version=version)]
    n, s = len(programs), len(styles)
    ids = ids or list(range(1, n + 1))
    style_idx = style_idx or [0] * n
    flags = flags or [0] * n
    pool = b""
    if version == 2:
        pool = b"".join(patterns or [])
    start = 8 + 6 * n + sum(len(x) for x in styles) + len(pool)
    directory, body = b"", b""
    for i, prog in enumerate(programs):
        directory += struct.pack("<BBBBH", ids[i], style_idx[i], flags[i], 0, start + len(body))
        body += prog
    length = start + len(body) + 4
    p = len(patterns or []) if version == 2 else 0
    head = b"OS" + bytes([version, n]) + struct.pack("<H", length) + bytes([s, p])
    return with_crc(head + directory + b"".join(styles) + pool + body)


def program(*ops):
    return b"".join(ops) + op_end()


def pmr17(tense=(30, 30) + (60,) * 15, feel=250, reps=2):
    """The full 17-group progressive muscle relaxation, then 5 minutes of rest."""
    ops = [op_pmr(17)] + [op_group(g, tense[g], feel, reps) for g in range(17)]
    return program(*ops, op_rest(300))


def mp_bytes(data):
    """A MicroPython expression for these bytes."""
    return "bytes.fromhex('" + data.hex() + "')"


# -- reference timeline: a direct reading of the Timing section, on a parsed tree --

def _parse(prog, pc=0):
    """Nested nodes: ('block', index, op bytes...) / ('repeat', count, nodes)."""
    nodes_stack = [[]]
    counts = []
    index = 0
    while True:
        op = prog[pc]
        if op == END:
            return nodes_stack[0]
        if op == REPEAT:
            counts.append(prog[pc + 1])
            nodes_stack.append([])
            pc += 2
        elif op == END_REPEAT:
            body = nodes_stack.pop()
            nodes_stack[-1].append(("repeat", counts.pop(), body))
            pc += 1
        elif op == PMR:
            groups = [struct.unpack_from("<BBHB", prog, pc + 2 + 6 * g + 1) for g in range(prog[pc + 1])]
            nodes_stack[-1].append(("pmr", index, groups))
            index += 1
            pc += 2 + 6 * prog[pc + 1]
        elif op == BREATH:
            nodes_stack[-1].append(("breath", index, struct.unpack_from("<9BHH", prog, pc + 1)))
            index += 1
            pc += 14
        elif op == REST:
            nodes_stack[-1].append(("rest", index, struct.unpack_from("<H", prog, pc + 1)[0]))
            index += 1
            pc += 3
        elif op == CHECK:
            nodes_stack[-1].append(("check", index, prog[pc + 2]))
            index += 1
            pc += 3
        else:
            raise ValueError(f"opcode {op:#x}")


def _play(nodes, t, out):
    for kind, n, arg in nodes:
        if kind == "repeat":
            for _ in range(n):
                t = _play(arg, t, out)
        elif kind == "pmr":
            for g, (_, tense, feel, reps) in enumerate(arg):
                out.append((t, POSITION_K, n, g))
                t += 2000
                for _ in range(reps):
                    out.append((t, TENSE_K, n, g))
                    t += tense * 100
                    out.append((t, RELEASE_K, n, g))
                    t += feel * 100
        elif kind == "rest":
            out.append((t, REST_K, n, NONE))
            t += arg * 1000
        elif kind == "check":
            out.append((t, CHECK_K, n, NONE))
            t += arg * 1000
        else:
            flags, i0, h0, o0, p0, i1, h1, o1, p1, ramp_s, length = arg
            ramp = ramp_s * 1000
            start, cycles = t, 0
            while (cycles < length) if flags & 1 else (t - start < length * 1000):
                e = t - start
                for k, a, b in ((IN_K, i0, i1), (HOLD_K, h0, h1), (OUT_K, o0, o1), (PAUSE_K, p0, p1)):
                    ms = a * 100 + ((b - a) * 100 * min(e, ramp)) // ramp if ramp else a * 100
                    if ms:
                        out.append((t, k, n, NONE))
                        t += ms
                cycles += 1
    return t


def edges(prog):
    """[(t_ms, kind, block, group)] of a program, END edge last; and the duration."""
    out = []
    t = _play(_parse(prog), 0, out)
    out.append((t, END_K, NONE, NONE))
    return out, t + 3000
