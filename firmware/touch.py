# Motor cues (see docs/cues.md), with the cue-level safety caps: a level cap and a
# continuous on-time cap, whatever the table asks. Integers only, no allocation.
from contract import PATTERN_DOUBLE, PATTERN_PULSE, PATTERN_SWELL, PATTERN_TAPS
from micropython import const
from program import K_END, K_IN, K_RELEASE, K_TENSE

_TAP_MS = const(80)
_TAP_GAP_MS = const(120)
_PULSE_MS = const(700)
_PULSE_LEVEL = const(200)
_SWELL_MS = const(1200)
_SWELL_LEVEL = const(160)
_END_ON_MS = const(150)
_END_GAP_MS = const(150)
_END_LEVEL = const(180)


def _shape(kind, el, pattern):
    # 0..255 wanted at el ms into an edge of this kind
    if kind == K_TENSE and pattern & PATTERN_TAPS:
        if el < _TAP_MS or (_TAP_MS + _TAP_GAP_MS <= el < 2 * _TAP_MS + _TAP_GAP_MS):
            return 255
    elif kind == K_RELEASE and pattern & PATTERN_PULSE:
        if el < _PULSE_MS:
            return (_PULSE_MS - el) * _PULSE_LEVEL // _PULSE_MS
    elif kind == K_IN and pattern & PATTERN_SWELL:
        if el < _SWELL_MS:
            h = _SWELL_MS >> 1
            return (el if el < h else _SWELL_MS - el) * _SWELL_LEVEL // h
    elif kind == K_END and pattern & PATTERN_DOUBLE:
        if el < _END_ON_MS or (_END_ON_MS + _END_GAP_MS <= el < 2 * _END_ON_MS + _END_GAP_MS):
            return _END_LEVEL
    return 0


class Touch:
    def __init__(self, motor, clock, cap, on_max_ms):
        self.motor = motor
        self.clock = clock
        self.cap = cap  # device motor level cap, 0..255
        self.on_max_ms = on_max_ms  # longest continuous on-time
        self.strength = 0
        self.pattern = 0
        self.level = 0
        self._since = 0
        self._locked = False

    def setup(self, strength, pattern):
        self.strength = strength
        self.pattern = pattern

    def off(self):
        self._locked = False
        self.level = 0
        self.motor.set(0)

    def update(self, kind, el, now):
        lv = _shape(kind, el, self.pattern) * self.strength // 255  # motor.py caps it, once
        if lv == 0:
            self._locked = False
        elif self._locked:
            lv = 0  # stays off until the cue itself lets go
        elif self.level == 0:
            self._since = now
        elif self.clock.ticks_diff(now, self._since) >= self.on_max_ms:
            lv = 0
            self._locked = True
        if lv != self.level:
            self.level = lv
            self.motor.set(lv)
