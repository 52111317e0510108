"""firmware/table.py under MicroPython: validation codes, accessors, fuzzing."""

import ast
import json
import struct
import zlib
from pathlib import Path

import pytest
from fwtables import (
    DEFAULT_PATTERNS,
    mp_bytes,
    op_breath,
    op_check,
    op_end_repeat,
    op_group,
    op_pmr,
    op_repeat,
    op_rest,
    pmr17,
    program,
    record,
    style,
    table,
    with_crc,
)

# the error codes as docs/table-format.md numbers them, on purpose not from contract.py
# (an independent oracle, like fwtables)
E_OK, E_LENGTH, E_MAGIC, E_VERSION, E_CRC, E_DIRECTORY, E_OPCODE, E_STRUCTURE, E_LIMIT, E_DURATION = range(10)  # oracle

PMR = program(op_pmr(2), op_group(0, 30, 200, 2), op_group(1, 60, 250, 1))
BREATH = program(op_breath(40, 0, 60, 0, 40, 20, 80, 10, ramp_s=60, length=300))
GOOD = table([PMR, BREATH, program(op_rest(60), op_check(1, 10))], ids=[7, 3, 200],
             styles=[style(), style(cap_day=90, motor=0, pattern=0)], style_idx=[0, 1, 0],
             flags=[1, 2, 0])


def validate(mpy, data):
    return int(mpy.check(f"import tablecheck; print(tablecheck.validate({mp_bytes(data)}))"))


def patch(data, offset, value, crc=True):
    b = bytearray(data)
    b[offset] = value
    if crc:
        b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
    return bytes(b)


def prog_table(*ops):
    return table([program(*ops)])


def test_good_table_and_accessors(mpy):
    out = mpy.check(f"""
import contract, table
t = table.Table({mp_bytes(GOOD)})
s1 = t.style_at(1)
print([t.err, t.count(), [t.proto_id(i) for i in range(3)], [t.style_index(i) for i in range(3)],
       [t.rating(i) for i in range(3)], [t.program(i) for i in range(3)],
       t.index_of(3), t.index_of(200), t.index_of(9), t.buf[6],
       t.buf[s1 + contract.STYLE_CAP_DAY], t.buf[t.style_at(0) + contract.STYLE_MOTOR],
       t.buf[t.style_at(0) + contract.STYLE_NIGHT + contract.SLOT_BREATH + 2], t.crc(),
       [t.duration_ms(i) for i in range(3)]])
""")
    res = ast.literal_eval(out.strip())
    start = 8 + 6 * 3 + 38 * 2
    assert res[:6] == [0, 3, [7, 3, 200], [0, 1, 0], [1, 2, 0],
                       [start, start + len(PMR), start + len(PMR) + len(BREATH)]]
    assert res[6:13] == [1, 2, -1, 2, 90, 180, 180]
    assert res[13] == zlib.crc32(GOOD[:-4])
    pmr_ms = 2000 + 2 * (3000 + 20000) + 2000 + 6000 + 25000
    assert res[14][0] == pmr_ms + 3000
    assert res[14][2] == 60000 + 10000 + 3000


def test_bad_table_has_no_protocols(mpy):
    out = mpy.check(f"import table; t = table.Table({mp_bytes(GOOD[:-1])}); print(t.err, t.count())")
    assert out.split() == [str(E_LENGTH), "0"]


HEAD = 8 + 6 + 38  # first program byte of a one-protocol table (no pattern records)
POOLED = table([PMR], patterns=DEFAULT_PATTERNS, styles=[style(haptic=bytes([1, 1, 2, 3, 4, 5, 0, 6, 7, 8]))])


def pat_table(*records, haptic=None):
    """A one-protocol table whose style plays `records` (TENSE gets the first)."""
    slots = haptic or bytes([1, 1] + [0] * 8)
    return table([program(op_rest(10))], styles=[style(haptic=slots)], patterns=list(records))


V1 = dict(version=1, styles=[style(version=1)])


CASES = {
    "ok": (prog_table(op_rest(10)), E_OK),
    "short": (b"OS\x01", E_LENGTH),
    "length field": (patch(GOOD, 4, GOOD[4] + 1, crc=False), E_LENGTH),
    "too long": (with_crc(b"OS\x01\x01" + struct.pack("<H", 8196) + bytes(8186)), E_LENGTH),
    "magic": (patch(GOOD, 0, ord("P")), E_MAGIC),
    "version": (patch(GOOD, 2, 0), E_VERSION),
    "v2 read as v1": (patch(POOLED, 2, 1), E_DIRECTORY),
    "crc": (patch(GOOD, 60, GOOD[60] ^ 1, crc=False), E_CRC),
    "N zero": (patch(GOOD, 3, 0), E_DIRECTORY),
    "S zero": (patch(GOOD, 6, 0), E_DIRECTORY),
    "P below what styles use": (patch(POOLED, 7, 7), E_LIMIT),
    "P over records": (patch(GOOD, 7, 1), E_DIRECTORY),
    "id 0": (patch(GOOD, 8, 0), E_DIRECTORY),
    "id 255": (patch(GOOD, 8, 255), E_DIRECTORY),
    "duplicate id": (patch(GOOD, 14, 7), E_DIRECTORY),
    "style index": (patch(GOOD, 9, 2), E_DIRECTORY),
    "rating 3": (patch(GOOD, 10, 3), E_DIRECTORY),
    "flag bits": (patch(GOOD, 10, 0x10), E_DIRECTORY),
    "entry reserved": (patch(GOOD, 11, 1), E_DIRECTORY),
    "offset before programs": (patch(GOOD, 12, 8), E_DIRECTORY),
    "offset past programs": (patch(GOOD, 12, 0xFF), E_DIRECTORY),
    "style day cap 0": (patch(table([PMR], styles=[style(cap_day=1)]), 8 + 6 + 24, 0), E_LIMIT),
    "style night cap 0": (table([PMR], styles=[style(cap_night=0)]), E_LIMIT),
    "style pattern bits": (table([PMR], styles=[style(pattern=0x10)]), E_LIMIT),
    # format 1 tables still play; their reserved header byte and pattern bits as before
    "v1 ok": (table([PMR], **V1), E_OK),
    "v1 reserved": (patch(table([PMR], **V1), 7, 1), E_DIRECTORY),
    "v1 pattern bits": (table([PMR], version=1, styles=[style(pattern=0x10, version=1)]), E_LIMIT),
    "version 3": (patch(GOOD, 2, 3), E_VERSION),
    # format 2 motor patterns: layout (E_DIRECTORY), style slots and rules (E_LIMIT)
    "no patterns": (table([PMR], styles=[style(pattern=0)], patterns=[]), E_OK),
    "built-in patterns, no records": (GOOD, E_OK),
    "records of the built-in patterns": (POOLED, E_OK),
    "P 129": (patch(POOLED, 7, 129), E_DIRECTORY),
    "P past the table": (patch(pat_table(record((255, 10))), 7, 200), E_DIRECTORY),
    "segments 0": (pat_table(b"\x00"), E_DIRECTORY),
    "segments 9": (pat_table(record(*[(255, 10), (0, 10)] * 4 + [(255, 10)])), E_DIRECTORY),
    "segments 8": (pat_table(record(*[(255, 10), (0, 10)] * 3 + [(255, 10), (255, 10)])), E_OK),
    "style reserved 27": (patch(GOOD, 8 + 18 + 27, 1), E_LIMIT),
    "position slot 2": (patch(GOOD, 8 + 18 + 28, 2), E_LIMIT),
    "pause slot": (patch(GOOD, 8 + 18 + 28 + 6, 1), E_LIMIT),
    "pattern number > P": (patch(POOLED, 8 + 6 + 28 + 9, 9), E_LIMIT),
    "pattern number P": (patch(POOLED, 8 + 6 + 28 + 9, 8), E_OK),
    "pattern number 254": (patch(POOLED, 8 + 6 + 28 + 9, 254), E_LIMIT),
    "built-in for the pause": (patch(GOOD, 8 + 18 + 28 + 6, 255), E_LIMIT),
    "built-in for position": (patch(GOOD, 8 + 18 + 28, 255), E_LIMIT),
    "position tap without patterns": (pat_table(haptic=bytes([1] + [0] * 9)), E_OK),
    "level 64": (pat_table(record((64, 8))), E_OK),
    "level 63": (pat_table(record((63, 10))), E_LIMIT),
    "on 80 ms": (pat_table(record((255, 8))), E_OK),
    "on 70 ms": (pat_table(record((255, 7))), E_LIMIT),
    "gap 100 ms": (pat_table(record((255, 10), (0, 10), (255, 10))), E_OK),
    "gap 90 ms": (pat_table(record((255, 10), (0, 9), (255, 10))), E_LIMIT),
    "gap of two": (pat_table(record((255, 10), (0, 5), (0, 5), (255, 10))), E_OK),
    "gap 0 ms": (pat_table(record((255, 10), (0, 0), (0, 10), (255, 10))), E_LIMIT),
    "starts with a gap": (pat_table(record((0, 10), (255, 10))), E_LIMIT),
    "ends with a gap": (pat_table(record((255, 10), (0, 10))), E_LIMIT),
    "on 1500 ms": (pat_table(record((255, 100), (128, 50), (0, 10), (255, 150))), E_OK),
    "on 1510 ms": (pat_table(record((255, 100), (128, 51))), E_LIMIT),
    "unused pattern checked": (pat_table(record((255, 10)), record((255, 7))), E_LIMIT),
    "opcode 0x00": (patch(prog_table(op_rest(10)), HEAD, 0x00), E_OPCODE),
    "opcode 0xFF": (patch(prog_table(op_rest(10)), HEAD, 0xFF), E_OPCODE),
    "missing END": (table([op_rest(10)]), E_OPCODE),
    "op past the table": (table([op_pmr(1) + op_group(0, 30, 200, 1)[:-2]]), E_OPCODE),
    "PMR count 0": (prog_table(op_pmr(0)), E_STRUCTURE),
    "PMR count > groups": (prog_table(op_pmr(2), op_group(0, 30, 200, 1)), E_STRUCTURE),
    "GROUP outside PMR": (prog_table(op_pmr(1), op_group(0, 30, 200, 1), op_group(1, 30, 200, 1)),
                          E_STRUCTURE),
    "REPEAT count 1": (prog_table(op_repeat(1), op_rest(10), op_end_repeat()), E_STRUCTURE),
    "REPEAT count 21": (prog_table(op_repeat(21), op_rest(10), op_end_repeat()), E_STRUCTURE),
    "REPEAT unclosed": (prog_table(op_repeat(2), op_rest(10)), E_STRUCTURE),
    "END_REPEAT alone": (prog_table(op_rest(10), op_end_repeat()), E_STRUCTURE),
    "nesting 3": (prog_table(op_repeat(2), op_repeat(2), op_repeat(2), op_rest(10),
                             op_end_repeat(), op_end_repeat(), op_end_repeat()), E_STRUCTURE),
    "tense 9": (prog_table(op_pmr(1), op_group(0, 9, 200, 1)), E_LIMIT),
    "tense 101": (prog_table(op_pmr(1), op_group(0, 101, 200, 1)), E_LIMIT),
    "feel 49": (prog_table(op_pmr(1), op_group(0, 30, 49, 1)), E_LIMIT),
    "feel 1201": (prog_table(op_pmr(1), op_group(0, 30, 1201, 1)), E_LIMIT),
    "reps 0": (prog_table(op_pmr(1), op_group(0, 30, 200, 0)), E_LIMIT),
    "reps 11": (prog_table(op_pmr(1), op_group(0, 30, 200, 11)), E_LIMIT),
    "group 255": (prog_table(op_pmr(1), op_group(255, 30, 200, 1)), E_LIMIT),
    "breath in 9": (prog_table(op_breath(9, 0, 60, 0)), E_LIMIT),
    "breath out1 201": (prog_table(op_breath(40, 0, 60, 0, o1=201)), E_LIMIT),
    "breath hold 201": (prog_table(op_breath(40, 201, 60, 0)), E_LIMIT),
    "breath length 0": (prog_table(op_breath(40, 0, 60, 0, length=0)), E_LIMIT),
    "breath 1801 s": (prog_table(op_breath(40, 0, 60, 0, length=1801)), E_LIMIT),
    "breath 601 cycles": (prog_table(op_breath(40, 0, 60, 0, length=601, cycles=True)), E_LIMIT),
    "breath ramp 3601": (prog_table(op_breath(40, 0, 60, 0, ramp_s=3601)), E_LIMIT),
    "breath flag bits": (patch(prog_table(op_breath(40, 0, 60, 0)), HEAD + 1, 4), E_LIMIT),
    "rest 9": (prog_table(op_rest(9)), E_LIMIT),
    "rest 3601": (prog_table(op_rest(3601)), E_LIMIT),
    "check 2 s": (prog_table(op_check(0, 2)), E_LIMIT),
    "check 121 s": (prog_table(op_check(0, 121)), E_LIMIT),
    "check prompt 5": (prog_table(op_check(5, 10)), E_LIMIT),
    "90 min exactly": (prog_table(op_rest(3600), op_rest(1797)), E_OK),
    "90 min + 1 s": (prog_table(op_rest(3600), op_rest(1798)), E_DURATION),
    "repeats multiply": (prog_table(op_repeat(20), op_repeat(20), op_rest(14),
                                    op_end_repeat(), op_end_repeat()), E_DURATION),
    "breath in cycles": (prog_table(op_repeat(10), op_breath(200, 200, 200, 200, length=600,
                                                           cycles=True), op_end_repeat()),
                         E_DURATION),
    "second protocol": (table([program(op_rest(60)), program(op_rest(3600), op_rest(3600))]),
                        E_DURATION),
}


@pytest.mark.parametrize("name", list(CASES))
def test_validation_codes(mpy, name):
    data, code = CASES[name]
    assert validate(mpy, data) == code


def test_errors_are_public_ints(mpy):
    out = mpy.check("import tablecheck as t; print(t.E_OK, t.E_LENGTH, t.E_MAGIC, t.E_VERSION, "
                    "t.E_CRC, t.E_DIRECTORY, t.E_OPCODE, t.E_STRUCTURE, t.E_LIMIT, t.E_DURATION)")
    assert out.split() == [str(i) for i in range(10)]


def test_worst_case_work_is_bounded(mpy):
    # 32 protocols, each a long ramped breath in a 20x20 repeat: refused early, quickly
    prog = program(op_repeat(20), op_repeat(20),
                   op_breath(10, 0, 10, 0, 200, 200, 200, 200, ramp_s=3600, length=1800),
                   op_end_repeat(), op_end_repeat())
    # The work is counted, not timed (the time is in `python -m bench protocols`): every
    # breath cycle the validator works out goes through programtime._cycle_ms. Refusing this
    # table takes one breath op's ramp, at most 1800 cycles (each is >= 2 s of a 3600 s
    # budget), not one per repeat (x 400) nor one per protocol (x 32).
    data = table([prog] * 32, ids=list(range(1, 33)))
    out = mpy.check(f"""
import programtime
import tablecheck
calls = [0]
cycle_ms = programtime._cycle_ms
def counting(*args):
    calls[0] += 1
    return cycle_ms(*args)
programtime._cycle_ms = counting
good = tablecheck.validate({mp_bytes(table([program(op_breath(40, 0, 60, 0, length=10))]))})
n_good = calls[0]
print(good, n_good, tablecheck.validate({mp_bytes(data)}), calls[0] - n_good)
""")
    good, n_good, code, cycles = map(int, out.split())
    assert (good, code) == (E_OK, E_DURATION)
    assert n_good > 0  # the counter sees the validator's work
    assert cycles <= 1800, f"{cycles} breath cycles worked out to refuse one table"


FUZZ = """
import table, tablecheck, struct, binascii, random
from program import Program
random.seed(SEED)
seeds = SEEDS
codes = [0] * 10
walked = 0
p = Program()

def fix(b):
    struct.pack_into('<I', b, len(b) - 4, binascii.crc32(memoryview(b)[:len(b) - 4]))

def walk(b):
    # anything that validates must play to its END without error, at its duration
    t = table.Table(b)
    for i in range(t.count()):
        p.reset(t.buf, t.program(i))
        n = 0
        while p.next():
            n += 1
            assert n < 100000
        assert p.t == t.duration_ms(i), (p.t, t.duration_ms(i))

for k in range(ROUNDS):
    r = random.getrandbits(3)
    if r == 0:  # random bytes
        b = bytearray(random.getrandbits(8) for _ in range(random.getrandbits(7)))
    elif r == 1:  # random body under a plausible header and a good CRC
        n = random.getrandbits(7) + 16
        b = bytearray(random.getrandbits(8) for _ in range(n))
        b[0] = 0x4F; b[1] = 0x53; b[2] = 1; b[3] = random.getrandbits(2); b[6] = 1; b[7] = 0
        struct.pack_into('<H', b, 4, n)
        fix(b)
    else:  # mutate a good table a little, CRC fixed so the deep checks run
        b = bytearray(seeds[random.getrandbits(8) % len(seeds)])
        for _ in range(1 + random.getrandbits(2)):
            b[random.getrandbits(16) % (len(b) - 4)] = random.getrandbits(8)
        if random.getrandbits(1):
            b = b[:random.getrandbits(16) % len(b)]
            if len(b) >= 8:
                struct.pack_into('<H', b, 4, len(b))
        if len(b) >= 16 and r != 7:  # 7: leave the CRC stale
            fix(b)
    e = tablecheck.validate(b)
    assert 0 <= e <= 9
    codes[e] += 1
    if e == 0:
        walked += 1
        walk(b)
print((codes, walked))
"""


def test_fuzz_never_raises(mpy):
    seeds = [
        GOOD,
        table([pmr17()]),
        table([program(op_repeat(3), op_breath(40, 10, 60, 10, 30, 20, 80, 0, ramp_s=20, length=40),
                       op_repeat(2), op_check(2, 5), op_rest(10), op_end_repeat(), op_end_repeat(),
                       op_breath(40, 0, 40, 0, length=5, cycles=True))]),
        table([program(op_pmr(1), op_group(0, 10, 50, 1))] * 3, ids=[1, 2, 3]),
    ]
    code = (FUZZ.replace("SEEDS", "[" + ",".join(mp_bytes(s) for s in seeds) + "]")
            .replace("SEED", "7").replace("ROUNDS", "20000"))
    out = mpy.check(code, timeout=300)
    codes, walked = ast.literal_eval(out.strip())
    assert sum(codes) == 20000
    # the mutations reach every layer of checks
    for e in (E_OK, E_LENGTH, E_MAGIC, E_CRC, E_DIRECTORY, E_OPCODE, E_STRUCTURE, E_LIMIT):
        assert codes[e] > 0, codes
    assert walked > 50


VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "table"
BAD = sorted((VECTORS / "bad").glob("*.bin"))


def test_golden_tables_validate(mpy):
    good = sorted(VECTORS.glob("*.bin"))
    old = sorted((VECTORS / "format1").glob("*.bin"))  # written before format 2: still played
    assert VECTORS / "all.bin" in good and len(old) == 4 and len(BAD) >= 10  # the vectors are there
    assert {p.read_bytes()[2] for p in good} == {2} and {p.read_bytes()[2] for p in old} == {1}
    good += old
    for path in good:
        assert validate(mpy, path.read_bytes()) == E_OK, path.name


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_golden_bad_tables(mpy, path):
    expected = json.loads((VECTORS / "bad" / "expected.json").read_text())[path.name]
    out = mpy.check(f"import tablecheck; print(tablecheck.{expected}, tablecheck.validate({mp_bytes(path.read_bytes())}))")
    want, got = out.split()
    assert got == want, f"{path.name}: firmware {got}, vector says {expected} ({want})"
