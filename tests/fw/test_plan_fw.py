"""firmware/plan.py under MicroPython: golden vectors, bad plans, reminders, no allocation."""

import ast
import json
import random
import struct
import zlib
from pathlib import Path

from ontspan.plan.model import check_bytes

VECTORS = Path(__file__).parent.parent / "vectors" / "plan"
DAILY = (VECTORS / "daily.bin").read_bytes()
START = 1065  # 2026-12-01, the daily plan's first day: 13:00 and 21:30, 15 min windows


def test_golden_vectors_validate_and_read_back(mpy):
    out = mpy.check(f"""
import json
import plan
VEC = {str(VECTORS)!r}
exp = json.load(open(VEC + "/expected.json"))
for name in sorted(exp):
    e = exp[name]
    p = plan.Plan(open(VEC + "/" + name + ".bin", "rb").read())
    assert p.err == 0, (name, p.err)
    assert [p.start_day(), p.end_day(), p.weeks(), p.trial_sessions(), p.crc()] == [
        e["start_day"], e["end_day"], e["weeks"], e["trial_sessions"], e["crc"]], name
    got = [[p.minute(i), p.protocol(i), p.days(i), p.window(i), p.ends(i)] for i in range(p.count())]
    assert got == e["moments"], (name, got)
    for day, minute, due, ahead in e["due"]:
        assert p.due(day, minute) == due, (name, day, minute, p.due(day, minute))
        assert p.next_due(day, minute) == ahead, (name, day, minute, p.next_due(day, minute))
    print(name, "ok")
""")
    assert out.split() == ["daily", "ok", "week", "ok"]


def test_bad_vectors_get_their_code(mpy):
    codes = json.loads((VECTORS / "bad" / "expected.json").read_text())
    out = mpy.check(f"""
import contract
import plan
VEC = {str(VECTORS / "bad")!r}
names = {sorted(codes)!r}
res = {{}}
for n in names:
    p = plan.Plan(open(VEC + "/" + n + ".bin", "rb").read())
    res[n] = [k for k in dir(contract) if k.startswith("PLAN_E_") and getattr(contract, k) == p.err][0]
    assert p.count() == 0 and p.due({START}, 780) == plan.NONE
print(res)
""")
    assert ast.literal_eval(out.strip()) == codes


def test_fuzzed_plans_same_code_as_cpython(mpy):
    rng = random.Random(11)
    cases = []
    for _ in range(400):
        b = bytearray(DAILY)
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.choice((0, 1, 0xFF, rng.randrange(256)))
        if rng.random() < 0.7:  # most with a good CRC, so the later checks run
            b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
        if rng.random() < 0.1:
            b = b[: rng.randrange(len(b))]
        cases.append(bytes(b))
    hexes = [c.hex() for c in cases]
    out = mpy.check(f"""
import plan
print([plan.validate(bytes.fromhex(h)) for h in {hexes!r}])
""")
    got = ast.literal_eval(out.strip())
    assert got == [check_bytes(c) for c in cases]
    assert len(set(got)) >= 6  # the fuzz reaches most of the checks


REMINDERS = """
import plan
p = plan.Plan(bytes.fromhex(DAILY_HEX))
r = plan.Reminders(p)
log = []

def tick(day, minute, busy=False):
    while True:
        ev = r.tick(day, minute, busy)
        if ev == plan.R_MISSED:
            log.append((day, minute, "missed", r.moment, r.moment_day))
            continue
        if ev == plan.R_DUE:
            log.append((day, minute, "due", r.moment, r.ends))
        return ev
""".replace("DAILY_HEX", repr(DAILY.hex()))


def _events(mpy, script: str) -> list[tuple]:
    out = mpy.check(REMINDERS + script + "\nprint(log)\n")
    return ast.literal_eval(out.strip())


def test_reminders_day_by_day(mpy):
    log = _events(mpy, f"""
tick({START - 1}, 780)           # before the plan starts: nothing
for m in range(700, 800, 5):     # the 13:00 window glows; a tap at 13:10 answers it
    if tick({START}, m) == plan.R_DUE and m == 790:
        r.answer(r.moment)
for m in range(1285, 1311, 5):   # 21:30 glows, a session from 21:35 covers it
    tick({START}, m, busy=1295 <= m <= 1305)
for m in range(0, 1440):         # a day left alone: two glows, two missed
    tick({START + 1}, m)
""")
    due = [e for e in log if e[2] == "due"]
    missed = [e for e in log if e[2] == "missed"]
    assert due[:3] == [(START, 780, "due", 0, 795), (START, 785, "due", 0, 795),
                       (START, 790, "due", 0, 795)]
    assert (START, 1285, "due", 1, 1305) not in log and (START, 1290, "due", 1, 1305) in log
    assert [e for e in due if e[0] == START] == due[:3] + [(START, 1290, "due", 1, 1305)]
    day2 = [e for e in due if e[0] == START + 1]
    assert [e[1] for e in day2] == list(range(780, 795)) + list(range(1290, 1305))
    assert missed == [(START + 1, 795, "missed", 0, START + 1),
                      (START + 1, 1305, "missed", 1, START + 1)]


def test_reminders_across_midnight_and_clock_jumps(mpy):
    log = _events(mpy, f"""
tick({START}, 600)
tick({START + 1}, 1295)   # a day and a half later: both of yesterday's, then noon missed;
tick({START + 2}, 10)     # the evening glowed; its window closed overnight
tick({START + 9}, 1300)   # the clock jumped a week: start afresh, noon never seen
tick({START + 9}, 1310)
tick({START + 9}, 1200)   # set back a little: nothing repeats
tick({START + 9}, 1300)
""")
    assert log == [
        (START + 1, 1295, "missed", 0, START), (START + 1, 1295, "missed", 1, START),
        (START + 1, 1295, "missed", 0, START + 1), (START + 1, 1295, "due", 1, 1305),
        (START + 2, 10, "missed", 1, START + 1),
        (START + 9, 1300, "due", 1, 1305), (START + 9, 1310, "missed", 1, START + 9),
    ]


def test_an_invalid_plan_never_reminds(mpy):
    out = mpy.check("""
import plan
r = plan.Reminders(plan.Plan(b"OP"))
print([r.tick(1065, m) for m in (780, 790, 800)], r.plan.next_due(1065, 0))
""")
    assert out.split() == ["[0,", "0,", "0]", "-1"]


def test_tick_does_not_allocate(mpy):
    out = mpy.check(f"""
import micropython
import plan
r = plan.Reminders(plan.Plan(bytes.fromhex({DAILY.hex()!r})))

res = [0, 0]

def week(r, first):
    # locals only; a new global would grow the module dict
    n = 0
    for day in range(first, first + 7):
        for m in range(1440):
            ev = r.tick(day, m, m % 97 == 0)
            while ev == plan.R_MISSED:
                n += 1
                ev = r.tick(day, m)
            if ev == plan.R_DUE and day & 1:
                r.answer(r.moment)
            r.plan.due(day, m)
    res[0] = n
    res[1] = r.plan.next_due(first + 13, 1400)

week(r, {START})  # warm up
micropython.heap_lock()
try:
    week(r, {START + 7})
finally:
    micropython.heap_unlock()
print(res[0], res[1])
""")
    # odd days answered, even days missed twice: 4 even days in START+7..+13
    assert out.split() == ["8", "820"]


def test_clock_to_day_and_minute(mpy):
    out = mpy.check("""
import plan
from contract import PLAN_EPOCH_UNIX as E
print(plan.local_day_minute(E + 86400 * 1065 + 3600 * 12, 60),
      plan.local_day_minute(E + 86400 * 1065 + 60 * 30, -60),
      plan.local_day_minute(1800000000, 0))
""")
    # 1.8e9 s (2027) is a big int on a 31-bit port; the day and minute are small
    assert out.split() == ["(1065,", "780)", "(1064,", "1410)", "(1110,", "480)"]


def test_rating_override_holds_for_its_days(mpy):
    """A moment's rating byte: mode + 1 in bits 0-1, days from the start in 2-7;
    the protocol's own mode before it is set and after its days (docs/plans.md)."""
    def with_rating(byte):
        b = bytearray(DAILY)
        b[12 + 5] = byte  # moment 0's rating byte
        b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
        return bytes(b)

    both_7_days = with_rating(3 | 7 << 2)
    none_always = with_rating(1)
    assert check_bytes(both_7_days) == 0 and check_bytes(none_always) == 0
    out = mpy.check(f"""
import plan
p = plan.Plan({both_7_days!r})
q = plan.Plan({none_always!r})
r = plan.Plan({DAILY!r})
assert p.err == 0 and q.err == 0
print(p.rating(0, {START}, 0), p.rating(0, {START} + 6, 0), p.rating(0, {START} + 7, 0),
      p.rating(1, {START}, 1), q.rating(0, {START} + 100, 2), r.rating(0, {START}, 2))
""")
    assert out.split() == ["2", "2", "0", "1", "0", "2"]
