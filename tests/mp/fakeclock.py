# A virtual clock with the Pico's 2^30 tick period, moved by hand.
_PERIOD = 0x40000000
_MASK = 0x3FFFFFFF
_HALF = 0x20000000


class FakeClock:
    def __init__(self, t=_PERIOD - 5000):
        self.t = t & _MASK

    def ticks_ms(self):
        return self.t

    def advance(self, ms):
        self.t = (self.t + ms) & _MASK

    def ticks_add(self, a, b):
        return (a + b) & _MASK

    def ticks_diff(self, a, b):
        d = (a - b) & _MASK
        return d - _PERIOD if d >= _HALF else d
