# The one motor model both boards use: what PWM duty a cue's motor level
# becomes. The Pico's PWM and the sim's trace get the same duty from here.
#
#   level  0..255 from the cue (touch.py), clipped once to the configured
#          motor_cap (here, and only here)
#   duty   duty_u16 = level * 257 (0 -> 0 %, 255 -> 100 %; linear)
#   kick   from standstill, a level whose duty is below KICK_DUTY (the
#          minimum start duty, about 69 %; levels below 176) starts with
#          _KICK_MS at KICK_DUTY: a coin ERM does not start below ~2.3 V
#   trip   a motor on for _MAX_ON_MS without a break is switched off until the
#          cue lets go (set(0)), whatever asked for it
# Integers only, no allocation: set() and service() run inside cues.
from micropython import const

_DUTY_PER_LEVEL = const(257)  # 255 * 257 = 65535
KICK_DUTY = const(45000)  # minimum start duty: ~69 % of 65535
_KICK_MS = const(30)
# the lowest level that starts by itself: its duty reaches KICK_DUTY (176 -> 45232)
KICK_BELOW = const((KICK_DUTY + _DUTY_PER_LEVEL - 1) // _DUTY_PER_LEVEL)
_MAX_ON_MS = const(8000)


class Motor:
    """out(duty_u16) drives the board (PWM on the Pico, the trace in the sim)."""

    def __init__(self, out, clock, cap):
        self._out = out
        self._clock = clock
        self.cap = cap
        self.level = 0  # after the cap
        self.duty = 0  # what the board was last given
        self.kicks = 0
        self.trips = 0
        self._on_t = 0
        self._kick_until = 0
        self._kicking = False
        self._tripped = False

    def set_cap(self, cap):
        """A new motor_cap takes effect at once, on the level playing now too."""
        self.cap = cap
        if self.level > cap:
            self.level = cap
            self._apply()

    def set(self, level):
        if level <= 0:
            level = 0
            self._tripped = False
        elif level > self.cap:
            level = self.cap
        if level == self.level:
            return
        if self.level == 0 and level:
            now = self._clock.ticks_ms()
            self._on_t = now
            if level < KICK_BELOW:
                self._kicking = True
                self.kicks += 1
                self._kick_until = self._clock.ticks_add(now, _KICK_MS)
        elif not level:
            self._kicking = False
        self.level = level
        self._apply()

    def _apply(self):
        if self._tripped or not self.level:
            d = 0
        elif self._kicking:
            d = KICK_DUTY
        else:
            d = self.level * _DUTY_PER_LEVEL
        if d != self.duty:
            self.duty = d
            self._out(d)

    def service(self):
        """Every loop pass: ends the kick pulse, trips a motor left on too long."""
        if not self.level:
            return
        clock = self._clock
        now = clock.ticks_ms()
        if self._kicking and clock.ticks_diff(now, self._kick_until) >= 0:
            self._kicking = False
            self._apply()
        if not self._tripped and clock.ticks_diff(now, self._on_t) >= _MAX_ON_MS:
            self._tripped = True
            self.trips += 1
            self._apply()

    def off(self):
        self.level = 0
        self._kicking = False
        self._tripped = False
        self.duty = 0
        self._out(0)
