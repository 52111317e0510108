"""firmware/engine.py under MicroPython on a virtual clock: edges exactly at the
Timing rules of docs/table-format.md, pause/resume, wrap, no allocation, caps."""

import ast
import json
from pathlib import Path

import pytest
from fwtables import (
    CHECK_K,
    END_K,
    IN_K,
    NONE,
    RELEASE_K,
    TENSE_K,
    edges,
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
    style,
    table,
)

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"

PMR = program(op_pmr(3), op_group(0, 20, 50, 2), op_group(4, 50, 100, 1), op_group(9, 10, 60, 3))
BREATH_S = program(op_breath(40, 0, 60, 0, 40, 20, 80, 10, ramp_s=30, length=90))
BREATH_C = program(op_breath(40, 10, 60, 5, 55, 0, 90, 25, ramp_s=25, length=7, cycles=True, belly=True))
BREATH_FLAT = program(op_breath(40, 70, 80, 0, length=50))
REST_CHECK = program(op_rest(12), op_check(0, 5), op_check(4, 3), op_rest(10))
NESTED = program(
    op_check(1, 4),
    op_repeat(3),
    op_pmr(1), op_group(2, 15, 50, 1),
    op_repeat(2), op_breath(30, 0, 30, 10, 40, 0, 50, 0, ramp_s=10, length=2, cycles=True),
    op_rest(10), op_end_repeat(),
    op_end_repeat(),
    op_check(3, 3),
)
PROGRAMS = {
    "pmr": PMR,
    "breath seconds ramp": BREATH_S,
    "breath cycles ramp belly": BREATH_C,
    "breath flat": BREATH_FLAT,
    "rest and check": REST_CHECK,
    "repeat nesting": NESTED,
}


def run(mpy, data, body, **kw):
    """Run `body` under MicroPython with `r` a Run of protocol `data`; returns its literal."""
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    code = f"from enginerun import Run, irregular\nimport engine\nr = Run({mp_bytes(data)}{', ' + args if args else ''})\n{body}"
    return ast.literal_eval(mpy.check(code, timeout=300).strip())


PLAY = "r.play(STEPS)\nprint((r.edges, r.engine.state, r.engine.late_max, r.engine.frames, r.engine.groups_done, r.engine.blocks_done, r.table.duration_ms(0)))"


def play(mpy, data, steps="(7,)", **kw):
    got, state, late_max, frames, groups, blocks, dur = run(mpy, data, PLAY.replace("STEPS", steps), **kw)
    return got, dict(state=state, late_max=late_max, frames=frames, groups=groups, blocks=blocks, dur=dur)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_edges_follow_the_timing_rules(mpy, name):
    prog = PROGRAMS[name]
    want, duration = edges(prog)
    got, info = play(mpy, table([prog]))
    assert [g[:4] for g in got] == want
    assert all(0 <= at - t < 7 for t, _, _, _, at in got)  # handled within one tick
    assert info["state"] == 3  # DONE
    assert info["dur"] == duration
    blocks = len({e[2] for e in want if e[2] != NONE})
    assert info["blocks"] >= blocks


def test_breath_ramp_details():
    # the reference itself: cycles mode plays exactly `length` cycles, zero phases have no edge
    want, _ = edges(BREATH_C)
    assert sum(1 for e in want if e[1] == IN_K) == 7
    assert 5 not in [e[1] for e in want[-6:]]  # hold ramps to 0 by the end
    want, _ = edges(BREATH_S)
    assert want[-1][0] >= 90_000 and want[-2][0] < 90_000 + 25_000


def test_counters_after_nested_repeats(mpy):
    got, info = play(mpy, table([NESTED]))
    # blocks played: check, 3 x (pmr + 2 x (breath + rest)), check
    assert info["blocks"] == 1 + 3 * (1 + 2 * 2) + 1
    assert info["groups"] == 3
    assert {e[2] for e in got} == {0, 1, 2, 3, 4, NONE}


def test_full_pmr_irregular_ticks_no_drift(mpy):
    prog = pmr17()
    want, duration = edges(prog)
    got, info = play(mpy, table([prog]), steps="irregular()")
    assert [g[:4] for g in got] == want
    assert sum(1 for e in want if e[1] == TENSE_K) == 34
    late = [at - t for t, _, _, _, at in got]
    assert min(late) >= 0 and max(late) < 23  # never early, never more than one tick late
    assert info["late_max"] == max(late)
    assert info["groups"] == 17 and info["blocks"] == 2
    assert want[-1][0] + 3000 == duration == info["dur"]
    # >= 50 frames/s over the whole session
    assert info["frames"] * 1000 >= 50 * duration


def test_clock_wrap_and_any_start(mpy):
    want, _ = edges(PMR)
    for start in (0x40000000 - 5000, 0x40000000 - 1, 0, 123456):
        got, _ = play(mpy, table([PMR]), steps="(3, 11, 1, 17)", start=start)
        assert [g[:4] for g in got] == want, start


def test_pause_resume_shifts_deadlines(mpy):
    want, _ = edges(PMR)
    body = """
r.until(6500)
e = r.engine
e.pause()
paused_t = e.elapsed_ms()
n = len(r.edges)
for _ in range(1000):
    r.clock.advance(5)
    e.tick()
still = (e.state, len(r.edges) == n, r.motor.level, e.elapsed_ms() == paused_t)
e.resume()
r.play((7,))
print((r.edges, still, paused_t))
"""
    got, still, paused_t = run(mpy, table([PMR]), body)
    assert [g[:4] for g in got] == want  # same session times
    assert still == (2, True, 0, True)
    for t, _, _, _, at in got:
        shift = 5000 if t > paused_t else 0
        assert 0 <= at - t - shift < 7


def test_stop_and_restart(mpy):
    body = """
r.until(3000)
e = r.engine
e.stop()
a = (e.state, r.motor.level, sum(r.ring.buf))
ok = e.start(r.table, 0, False)
r.play((5,))
print((a, ok, e.state, r.motor.level, sum(r.ring.buf), e.start(r.table, 5, False)))
"""
    assert run(mpy, table([PMR]), body) == ((0, 0, 0), True, 3, 0, 0, False)


def test_refuses_a_bad_table(mpy):
    bad = bytearray(table([PMR]))
    bad[-1] ^= 1
    assert run(mpy, bytes(bad), "print((r.ok, r.engine.state))") == (False, 0)


def test_tick_does_not_allocate(mpy):
    data = table([NESTED, pmr17()])
    body = """
import micropython

def locked(e, clock):
    # locals only: a new global would grow the module dict
    micropython.heap_lock()
    steps = 0
    while e.state != engine.DONE and steps < 500000:
        clock.advance(3 + (steps & 7))
        e.tick()
        steps += 1
    micropython.heap_unlock()
    return steps

e = r.engine
e.on_edge = None  # the collector appends to a list
m = 0
for index in (0, 1):
    e.start(r.table, index, index == 1)
    m += locked(e, r.clock)
print((m, e.state, e.edges, engine.alloc_per_ticks(e, 100)))
"""
    ticks, state, n_edges, alloc = run(mpy, data, body)
    assert ticks > 100_000 and state == 3 and n_edges == 87  # edges of the last one
    assert alloc == 0


def test_bench_hook_measures_zero_bytes_per_tick(mpy):
    body = """
r.engine.on_edge = None
r.until(1000)
print((engine.alloc_per_ticks(r.engine, 20000, 7), r.engine.edges))
"""
    alloc, n_edges = run(mpy, table([pmr17()]), body)
    assert alloc == 0 and n_edges > 5


def test_pause_resume_do_not_allocate_per_tick(mpy):
    body = """
import micropython

def locked(e, clock):
    micropython.heap_lock()
    for i in range(6000):
        clock.advance(7)
        e.tick()
        if i % 1000 == 500:
            e.pause()
        if i % 1000 == 800:
            e.resume()
    micropython.heap_unlock()

r.engine.on_edge = None
locked(r.engine, r.clock)
print(r.engine.state)
"""
    assert run(mpy, table([BREATH_S]), body) == 1


def test_night_has_no_blue_and_low_cap(mpy):
    blue = style(night=bytes([255] * 12), cap_night=255, cap_day=255)
    for prog in (pmr17(), BREATH_C, REST_CHECK, NESTED):
        data = table([prog], styles=[blue])
        out = run(mpy, data, "r.play((5,))\nprint((r.ring.frames, r.ring.max_blue, r.ring.max_value, r.ring.cap))",
                  night=True, night_cap=30)
        frames, max_blue, max_value, cap = out
        assert frames > 100 and max_blue == 0 and max_value > 0
        assert cap == 30
    day = run(mpy, table([BREATH_C], styles=[blue]), "r.play((5,))\nprint((r.ring.max_blue, r.ring.cap))",
              device_cap=120)
    assert day[0] > 0 and day[1] == 120


def test_motor_strength_and_on_time_cap(mpy):
    # the level cap is the board's motor model (firmware/motor.py); here: the
    # session's strength scales every pattern, and the on-time cap cuts a long pulse
    strong = style(motor=255, pattern=0x0F)
    prog = program(op_breath(40, 0, 40, 0, length=3, cycles=True), op_pmr(1), op_group(0, 20, 50, 2))
    # (the level cap lives in the motor model, firmware/motor.py: tests/fw/test_motor.py)
    out = run(mpy, table([prog], styles=[strong]),
              "r.play((3,))\nprint((r.motor.max, r.motor.pulses, r.motor.max_on_ms, r.motor.level))",
              motor_on_max_ms=400)
    top, pulses, on_ms, last = out
    assert top == 255
    # 3 x (in 1 + out 2), position 1 (group a: legs), 2 x (tense 3 + release 1), end 3
    assert pulses == 3 * 3 + 1 + 2 * 4 + 3
    assert on_ms <= 400 + 3
    assert last == 0
    soft = run(mpy, table([prog], styles=[style(motor=60, pattern=0x0F)]), "r.play((3,))\nprint(r.motor.max)")
    assert soft == 60
    quiet = run(mpy, table([prog], styles=[style(motor=0)]), "r.play((3,))\nprint(r.motor.max)")
    assert quiet == 0


def test_lateness_histogram(mpy):
    body = """
r.play((10, 1, 30, 2))
e = r.engine
print((e.late_max, e.late_hist, e.edges, list(e.late_ring)))
"""
    late_max, hist, n_edges, ring = run(mpy, table([PMR]), body)
    assert sum(hist) == n_edges
    assert 15 < late_max < 30 and hist[15] > 0
    assert max(ring) == late_max


def test_current_edge_attributes(mpy):
    body = """
r.until(2500)
e = r.engine
print((e.state, e.kind, e.block, e.group, e.t, e.groups_done, e.blocks_done))
"""
    assert run(mpy, table([PMR]), body) == (1, TENSE_K, 0, 0, 2000, 0, 0)


def test_hot_path_has_no_floats():
    # every float result allocates on rp2: the per-tick modules use integers only
    for name in ("engine.py", "program.py", "touch.py", "light.py"):
        tree = ast.parse((FIRMWARE / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) or isinstance(node, ast.ClassDef):
                for sub in ast.walk(node):
                    assert not isinstance(sub, ast.Div), (name, sub.lineno)
                    assert not (isinstance(sub, ast.Constant) and isinstance(sub.value, float)), name


def test_kinds_match_the_doc(mpy):
    out = mpy.check("import program as p; print((p.K_POSITION, p.K_TENSE, p.K_RELEASE, p.K_IN, "
                    "p.K_HOLD, p.K_OUT, p.K_PAUSE, p.K_REST, p.K_CHECK, p.K_END, p.NO_GROUP))")
    assert ast.literal_eval(out.strip()) == (*range(1, 11), 255)
    assert (RELEASE_K, CHECK_K, END_K) == (3, 9, 10)


VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "table"
EDGE_DOCS = sorted(VECTORS.glob("*.edges.json"))


def test_the_edge_vectors_are_there():
    assert len(EDGE_DOCS) >= 3, EDGE_DOCS  # else the test below has nothing to check


@pytest.mark.parametrize("doc", EDGE_DOCS, ids=[p.name.split(".")[0] for p in EDGE_DOCS])
def test_golden_edges(mpy, doc):
    # the host's timeline and the engine play the same vector table identically
    want = json.loads(doc.read_text())
    data = (VECTORS / "all.bin").read_bytes()
    body = f"""
r.engine.stop()
r.edges.clear()
i = r.table.index_of({want["id"]})
r.t0 = r.clock.now
r.engine.start(r.table, i, False)
r.play((3, 8, 13))
print((r.edges, r.table.duration_ms(i)))
"""
    got, duration = run(mpy, data, body)
    assert [list(g[:4]) for g in got] == want["edges"]
    assert duration == want["duration_ms"]
    assert all(0 <= at - t < 13 for t, _, _, _, at in got)
