"""firmware/touch.py and the felt parts of ui.Rating and the engine's pause,
under MicroPython with the fakes: each rating step felt, the confirmed value
played back as taps before it counts, pause and resume felt, nothing allocated."""

import ast
import json
from pathlib import Path

from fwtables import mp_bytes, op_breath, program, style, table

RATING = """
import fakes, touch, ui, gestures
c = fakes.Clock()
ring = fakes.Ring(12)
m = fakes.Motor(c)
t = touch.Touch(m, c, 1500)
t.device_strength = 120
r = ui.Rating(ring, c, t)

def run(ms):
    got = []
    for _ in range(ms // 5):
        c.advance(5)
        v = r.poll()
        if v != ui.WAITING:
            got.append(v)
    return got

r.begin()
steps = []
for ev in (gestures.TAP, gestures.TAP, gestures.TAP, gestures.DOUBLE):
    p0 = m.pulses
    r.event(ev)
    run(1000)
    steps.append(m.pulses - p0)
p0 = m.pulses
r.event(gestures.HOLD)
early = run(500)           # the value waits for its playback
later = run(3000)
played = m.pulses - p0
value = r.value
r.begin()
for _ in range(10):
    r.event(gestures.TAP)
    run(600)
p0 = m.pulses
r.event(gestures.TAP)      # 10 wraps to 0: one long pulse
run(1000)
wrap = (m.pulses - p0, m.max_on_ms, r.value)
r.begin()
p0 = m.pulses
timeout = run(32000)
print((steps, early, later[:1], played, value, m.max, wrap, timeout[:1], m.level, m.pulses - p0))
"""


def test_rating_is_felt_step_by_step_and_played_back(mpy):
    out = ast.literal_eval(mpy.check(RATING).strip())
    steps, early, later, played, value, top, wrap, timeout, level, waited = out
    assert steps == [1, 1, 1, 2]  # up: one tap, down: two
    assert early == [] and later == [2] and value == 2
    assert played == 2 + 2  # "taken" (long, short), then the confirmed 2 as two taps
    assert top == 120  # the patient's strength
    assert wrap[0] == 1 and wrap[1] >= 300 and wrap[2] == 0
    assert timeout == [255] and level == 0
    assert waited == 3 + 3  # the scale's opening, then "not rated" before it counts


PAUSE = """
r.until(3000)
e = r.engine
p0 = r.motor.pulses
e.pause()
for _ in range(400):
    r.clock.advance(5)
    e.tick()
paused = (r.motor.pulses - p0, r.motor.level)
p0 = r.motor.pulses
e.resume()
for _ in range(100):
    r.clock.advance(5)
    e.tick()
print((paused, r.motor.pulses - p0))
"""


def test_pause_and_resume_are_felt(mpy):
    data = table([program(op_breath(40, 0, 60, 0, length=10, cycles=True))], styles=[style(motor=100, pattern=0x0F)])
    code = f"from enginerun import Run\nimport engine\nr = Run({mp_bytes(data)})\n{PAUSE}"
    paused, resumed = ast.literal_eval(mpy.check(code).strip())
    assert paused == (1, 0)  # one long pulse, then still
    assert resumed == 2  # a quick pair: going on


def test_counts_and_patterns_keep_erm_minimums(mpy):
    code = """
import touch as tc, haptic
b = haptic.BUILTIN
recs = [(b, haptic.builtin_at(k)) for k in (2, 3, 4, 5, 6, 8, 9, 10)]
recs += [(p, 0) for p in (tc.PAUSE, tc.RESUME, tc.STEP_UP, tc.STEP_DOWN, tc.STEP_EDGE)]
segs = [[(p[at + 1 + 2 * i], p[at + 2 + 2 * i] * 10) for i in range(p[at])] for p, at in recs]
assert all(haptic.pattern_ok(p, at) for p, at in recs)
counts = [[tc.count_at(n, el) for el in range(0, tc.count_ms(n) + 50, 5)] for n in (0, 1, 4, 7, 10)]
print((segs, counts, [tc.region(n, 0, 17) for n in range(17)], [tc.region(17 + g, g, 3) for g in range(3)]))
"""
    segs, counts, regions, custom = ast.literal_eval(mpy.check(code).strip())
    for pat in segs:
        for _, ms in pat:
            assert ms >= 100  # pulses and gaps alike
        assert pat[0][0] and pat[-1][0]  # starts at once, ends on a pulse
    for n, levels in zip((0, 1, 4, 7, 10), counts, strict=True):
        runs = []
        for i, v in enumerate(levels):
            if v and (i == 0 or not levels[i - 1]):
                runs.append(i)
        assert len(runs) == max(n, 1)
    assert regions == [1] * 6 + [2, 2] + [3] * 4 + [2] + [4] * 4
    assert custom == [1, 2, 4]  # custom groups: first 1, last 4


VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "table"

MOTOR_LOG = """
import micropython
from enginerun import Run
r = Run(BUF, INDEX)
log = []
m = r.motor
orig = m.set

def rec(lv):
    log.append((r.clock.ticks_diff(r.clock.now, r.t0), lv))
    orig(lv)

m.set = rec
r.engine.stop()  # and again from the start, now with every motor change logged
del log[:]
r.engine.start(r.table, INDEX)
r.play((5,))
# the same session again under heap_lock: the cue loop allocates nothing
r2 = Run(BUF, INDEX)
r2.engine.on_edge = None
c = r2.clock
e = r2.engine
micropython.heap_lock()
while e.state != 3:
    c.advance(5)
    e.tick()
micropython.heap_unlock()
print(log)
"""


def motor_log(mpy, data, index):
    """[(session ms, motor level)] of every motor change playing protocol `index`."""
    code = MOTOR_LOG.replace("BUF", mp_bytes(data)).replace("INDEX", str(index))
    return ast.literal_eval(mpy.check(code, timeout=300).strip())


def test_format1_tables_play_the_built_in_patterns_as_before(mpy):
    """A table of format 1 (made before patterns were data) still plays, and a patient
    feels exactly what the same protocols compiled to format 2 with default styles give."""
    old = (VECTORS / "format1" / "all.bin").read_bytes()
    new = (VECTORS / "all.bin").read_bytes()
    assert old[2] == 1 and new[2] == 2
    for index in range(3):  # ids 7, 8, 9 in both
        a = motor_log(mpy, old, index)
        b = motor_log(mpy, new, index)
        assert a and a == b, index


def test_style_patterns_are_played_as_written(mpy):
    # v4-haptic: in [[255,200],[0,100],[160,200]], hold [[255,1500]], out "duidelijk", end off
    data = (VECTORS / "v4-haptic.bin").read_bytes()
    log = motor_log(mpy, data, 0)
    pulses = []
    for (t, lv), (t2, _) in zip(log, log[1:] + [(None, 0)], strict=True):
        if lv:
            pulses.append((t, (t2 - t) if t2 is not None else None, lv))
    strength = 140
    first_in = [p for p in pulses if p[0] < 400]
    assert [(d, lv) for _, d, lv in first_in] == [(200, strength), (200, 160 * strength // 255)]
    assert any(d == 1500 for _, d, _ in pulses)  # hold: one 1.5 s pulse
    edges = json.loads((VECTORS / "v4-haptic.edges.json").read_text())["edges"]
    end_t = edges[-1][0]
    assert all(t < end_t for t, _, _ in pulses)  # the end is silent in this style
