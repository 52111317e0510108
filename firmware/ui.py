# What the one button means, and what the ring shows outside a
# session: which protocol is chosen, and the 0-10 tension rating scale (the
# boot greeting is greet.py).
#   idle:    tap = start, double tap = next protocol, hold = show the choice
#   playing: tap = pause/resume, hold (2 s) = stop
#   rating:  tap = one step up (10 wraps to 0), double tap = one step down,
#            hold = confirm; no press for 30 s = not rated
# Both draw in the ring's own caps (the device's day or night cap), so they
# are as visible at night as the cues; each rating step is felt too.
import gestures
import touch as tc
from contract import LOG_NOT_RATED as NOT_RATED
from micropython import const

WAITING = const(-1)
_RATING_TIMEOUT_MS = const(30000)
_PLAYBACK_LEAD_MS = const(900)  # quiet between the "taken" signature and the value played back
_AMBER_R = const(255)
_AMBER_G = const(90)
_DIM = const(110)  # other choices and the 0 marker: at night a visible glow, not black


def _clear(buf):
    for i in range(len(buf)):
        buf[i] = 0


def show_choice(ring, index, count):
    """Lit positions say which protocol: position index of count, spread over the ring."""
    buf = ring.buf
    _clear(buf)
    ring.set_cap(255)  # a cue style's cap from the last session does not apply here
    n = ring.n
    for k in range(count):
        j = 3 * (k * n // count)
        on = k == index
        buf[j] = 255 if on else _DIM
        buf[j + 1] = 110 if on else _DIM * 110 // 255
    ring.show()


class Rating:
    """Tension 0-10 on the ring: LEDs fill warm up to the value, one dim marker at 0.
    Felt as well: the scale opening, a step up (one tap), a step down (two), reaching
    0 or 10 (one long); after the confirming hold "taken", then the value played back
    as counted taps (docs/cues.md), and only then does poll() give it. Thirty seconds
    without a press: "not rated" is felt, then poll() gives NOT_RATED."""

    def __init__(self, ring, clock, touch):
        self.ring = ring
        self.clock = clock
        self.touch = touch
        self.value = 0
        self.confirmed = 0  # 1: "taken" plays (or "not rated"), 2: the value's taps play
        self._t = 0

    def begin(self):
        self.value = 0
        self.confirmed = 0
        self._t = self.clock.ticks_ms()
        t = self.touch
        t.off()
        t.setup_ui()
        t.play(tc.RATING_OPEN, self._t)
        self.draw()

    def event(self, ev):
        """Feed a gesture. The confirmed value arrives through poll(), after it is felt."""
        if ev == gestures.NONE or self.confirmed:
            return False
        now = self.clock.ticks_ms()
        self._t = now
        t = self.touch
        if ev == gestures.HOLD:
            self.confirmed = 1
            t.play(tc.RATING_DONE, now)
            t.service(now)
            return False
        if ev == gestures.TAP:
            self.value = 0 if self.value >= 10 else self.value + 1
            t.play(tc.STEP_EDGE if self.value == 0 or self.value == 10 else tc.STEP_UP, now)
        elif ev == gestures.DOUBLE:
            self.value = 10 if self.value <= 0 else self.value - 1
            t.play(tc.STEP_EDGE if self.value == 0 or self.value == 10 else tc.STEP_DOWN, now)
        t.service(now)
        self.draw()
        return False

    def poll(self):
        """Call every loop: plays the felt cues; WAITING, the value once confirmed
        and played back, or NOT_RATED after 30 s without a press."""
        now = self.clock.ticks_ms()
        t = self.touch
        t.service(now)
        if self.confirmed:
            if t.busy(now):
                return WAITING
            if self.confirmed == 1 and self.value != NOT_RATED:
                self.confirmed = 2
                t.play_count(self.value, now, _PLAYBACK_LEAD_MS)
                return WAITING
            t.off()
            return self.value
        if self.expired():
            self.confirmed = 1  # no more steps: "not rated" is felt, then given
            self.value = NOT_RATED
            t.play(tc.RATING_TIMEOUT, now)
            t.service(now)
        return WAITING

    def expired(self):
        return self.clock.ticks_diff(self.clock.ticks_ms(), self._t) >= _RATING_TIMEOUT_MS

    def draw(self):
        ring = self.ring
        buf = ring.buf
        _clear(buf)
        ring.set_cap(255)
        n = ring.n
        lit = self.value * n // 10
        if lit == 0:
            buf[0] = _DIM  # a dim marker so "0" is visible in the dark
            buf[1] = _DIM * _AMBER_G // 255
        for i in range(lit):
            buf[3 * i] = _AMBER_R
            buf[3 * i + 1] = _AMBER_G
        ring.show()
