"""The choice display and the rating scale at night: drawn in the device's night
cap, every lit LED at byte 3 or more, the chosen one brighter, no blue; and the
cue style's cap left from a night session does not dim them by day."""

import ast

CODE = """
import pixels, ui, touch, fakes
c = fakes.Clock()
ring = pixels.Ring(12, 24, bytearray(36), b'\\x00\\x01\\x02')
ring.set_cap(5)  # a style cap left over from a session
ui.show_choice(ring, 1, 3)
choice = list(ring.out)
r = ui.Rating(ring, c, touch.Touch(fakes.Motor(c), c, 1500))
r.begin()
zero = list(ring.out)
for _ in range(4):
    r.event(1)  # gestures.TAP
four = list(ring.out)
ring.set_device_cap(160)
ui.show_choice(ring, 1, 3)
day = list(ring.out)
print((choice, zero, four, day))
"""


def _leds(out):
    return [tuple(out[i : i + 3]) for i in range(0, len(out), 3)]


def test_choice_and_rating_visible_at_night(mpy):
    choice, zero, four, day = (_leds(x) for x in ast.literal_eval(mpy.check(CODE).strip()))
    lit = [p for p in choice if any(p)]
    assert len(lit) == 3 and all(max(p) >= 3 for p in lit) and all(p[2] == 0 for p in lit)
    assert max(choice[4]) > max(choice[0])  # the chosen one (index 1 of 3: LED 4) is brighter
    assert max(choice[4]) == 24  # the night cap, not the old style cap
    assert [max(p) >= 3 for p in zero] == [True] + [False] * 11  # the 0 marker
    assert sum(1 for p in four if any(p)) == 4 and all(max(p) >= 3 for p in four if any(p))
    assert max(day[4]) == 160
