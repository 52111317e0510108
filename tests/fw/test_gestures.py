"""Button gestures under MicroPython: debounce, tap, double tap, hold, across a tick wrap."""

SETUP = """
import gestures
from fakes import Clock as FakeClock
c = FakeClock()
g = gestures.Gestures(c)
def run(levels):
    # levels: list of (pressed, ms); returns the events seen, stepping 5 ms
    out = []
    for pressed, ms in levels:
        for _ in range(ms // 5):
            c.advance(5)
            ev = g.update(pressed)
            if ev:
                out.append(ev)
    return out
"""


def events(mpy, levels):
    return mpy.check(SETUP + f"print(run({levels!r}))").strip()


def test_tap(mpy):
    assert events(mpy, [(True, 100), (False, 600)]) == "[1]"


def test_double_tap(mpy):
    assert events(mpy, [(True, 100), (False, 150), (True, 100), (False, 600)]) == "[2]"


def test_hold_fires_once_and_no_tap_after(mpy):
    assert events(mpy, [(True, 3000), (False, 600)]) == "[3]"


def test_bounce_shorter_than_debounce_is_ignored(mpy):
    assert events(mpy, [(True, 10), (False, 20), (True, 10), (False, 600)]) == "[]"


def test_bouncy_press_is_one_tap(mpy):
    bouncy = [(True, 5), (False, 5), (True, 5), (False, 5), (True, 100), (False, 600)]
    assert events(mpy, bouncy) == "[1]"


def test_two_slow_taps_are_two_taps(mpy):
    assert events(mpy, [(True, 100), (False, 800), (True, 100), (False, 800)]) == "[1, 1]"
