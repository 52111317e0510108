# Button gestures from a raw "pressed" level: debounce, tap, double tap, hold.
# Pure logic on ticks so any pin (real, recorded or simulated) works; runs in
# the main loop, never in an interrupt.
from micropython import const

NONE = const(0)  # own: no gesture
TAP = const(1)
DOUBLE = const(2)
HOLD = const(3)

DEBOUNCE_MS = const(30)  # a level must last this long to count (the sim's button waits for it)
_HOLD_MS = const(2000)
_DOUBLE_MS = const(350)  # a second press must start within this after the first release


class Gestures:
    def __init__(self, clock):
        self._clock = clock
        t = clock.ticks_ms()
        self._raw = False
        self._raw_t = t  # when the raw level last changed
        self._pressed = False  # debounced level
        self._press_t = t
        self._release_t = t
        self._taps = 0
        self._held = False

    def update(self, raw_pressed):
        """Feed the current raw level; returns one event (NONE, TAP, DOUBLE, HOLD)."""
        clock = self._clock
        now = clock.ticks_ms()
        if raw_pressed != self._raw:
            self._raw = raw_pressed
            self._raw_t = now
        if raw_pressed != self._pressed and clock.ticks_diff(now, self._raw_t) >= DEBOUNCE_MS:
            self._pressed = raw_pressed
            if raw_pressed:
                self._press_t = now
                self._held = False
            else:
                self._release_t = now
                if not self._held:
                    self._taps += 1
                    if self._taps == 2:
                        self._taps = 0
                        return DOUBLE
        if self._pressed:
            if not self._held and clock.ticks_diff(now, self._press_t) >= _HOLD_MS:
                self._held = True
                self._taps = 0
                return HOLD
        elif self._taps == 1 and clock.ticks_diff(now, self._release_t) > _DOUBLE_MS:
            self._taps = 0
            return TAP
        return NONE
