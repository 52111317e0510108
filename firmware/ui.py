# What the one button means, and the two things the ring shows outside a
# session: which protocol is chosen, and the 0-10 tension rating scale.
#   idle:    tap = start, double tap = next protocol, hold = show the choice
#   playing: tap = pause/resume, hold (2 s) = stop
#   rating:  tap = one step up (10 wraps to 0), double tap = one step down,
#            hold = confirm; no press for 30 s = not rated
import gestures
from micropython import const

NOT_RATED = const(255)
_RATING_TIMEOUT_MS = const(30000)
_AMBER_R = const(255)
_AMBER_G = const(90)


def _clear(buf):
    for i in range(len(buf)):
        buf[i] = 0


def show_choice(ring, index, count):
    """Lit positions say which protocol: position index of count, spread over the ring."""
    buf = ring.buf
    _clear(buf)
    n = ring.n
    for k in range(count):
        j = 3 * (k * n // count)
        on = k == index
        buf[j] = 255 if on else 40
        buf[j + 1] = 110 if on else 12
    ring.show()


class Rating:
    """Tension 0-10 on the ring: LEDs fill warm up to the value, one dim marker at 0."""

    def __init__(self, ring, clock):
        self.ring = ring
        self.clock = clock
        self.value = 0
        self._t = 0

    def begin(self):
        self.value = 0
        self._t = self.clock.ticks_ms()
        self.draw()

    def event(self, ev):
        """Feed a gesture; returns True once the value is confirmed."""
        if ev == gestures.NONE:
            return False
        self._t = self.clock.ticks_ms()
        if ev == gestures.HOLD:
            return True
        if ev == gestures.TAP:
            self.value = 0 if self.value >= 10 else self.value + 1
        elif ev == gestures.DOUBLE:
            self.value = 10 if self.value <= 0 else self.value - 1
        self.draw()
        return False

    def expired(self):
        return self.clock.ticks_diff(self.clock.ticks_ms(), self._t) >= _RATING_TIMEOUT_MS

    def draw(self):
        ring = self.ring
        buf = ring.buf
        _clear(buf)
        n = ring.n
        lit = self.value * n // 10
        if lit == 0:
            buf[0] = 30  # a dim marker so "0" is visible in the dark
            buf[1] = 8
        for i in range(lit):
            buf[3 * i] = _AMBER_R
            buf[3 * i + 1] = _AMBER_G
        ring.show()
