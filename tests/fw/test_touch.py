"""firmware/touch.py and the felt parts of ui.Rating and the engine's pause,
under MicroPython with the fakes: each rating step felt, the confirmed value
played back as taps before it counts, pause and resume felt, nothing allocated."""

import ast

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
timeout = run(31000)
print((steps, early, later[:1], played, value, m.max, wrap, timeout[:1], m.level))
"""


def test_rating_is_felt_step_by_step_and_played_back(mpy):
    out = ast.literal_eval(mpy.check(RATING).strip())
    steps, early, later, played, value, top, wrap, timeout, level = out
    assert steps == [1, 1, 1, 2]  # up: one tap, down: two
    assert early == [] and later == [2] and value == 2
    assert played == 2  # the confirmed 2 played back as two taps
    assert top == 120  # the patient's strength
    assert wrap[0] == 1 and wrap[1] >= 300 and wrap[2] == 0
    assert timeout == [255] and level == 0


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
import touch as tc
pats = [tc.TENSE, tc.RELEASE, tc.IN, tc.HOLD, tc.OUT, tc.REST, tc.CHECK, tc.END, tc.PAUSE, tc.RESUME,
        tc.STEP_UP, tc.STEP_DOWN, tc.STEP_EDGE]
segs = [[(p[i], p[i + 1] * 10) for i in range(0, len(p), 2)] for p in pats]
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
