# Allocation-free fakes of the ring, motor and clock the engine drives.
import ticks


class Clock:
    def __init__(self, start=ticks.PERIOD - 5000):
        self.now = ticks.ticks_add(start, 0)

    def ticks_ms(self):
        return self.now

    def advance(self, ms):
        self.now = ticks.ticks_add(self.now, ms)

    ticks_add = staticmethod(ticks.ticks_add)
    ticks_diff = staticmethod(ticks.ticks_diff)


class Ring:
    def __init__(self, n=12):
        self.n = n
        self.buf = bytearray(3 * n)
        self.cap = 255
        self.caps = 0  # set_cap calls
        self.frames = 0
        self.max_blue = 0
        self.max_value = 0
        self.lit = 0  # frames with any LED on

    def set_cap(self, cap):
        self.cap = cap
        self.caps += 1

    def show(self):
        buf = self.buf
        self.frames += 1
        on = 0
        for i in range(len(buf)):
            v = buf[i]
            if v:
                on = 1
                if v > self.max_value:
                    self.max_value = v
                if i % 3 == 2 and v > self.max_blue:
                    self.max_blue = v
        self.lit += on


class Motor:
    def __init__(self, clock):
        self.clock = clock
        self.level = 0
        self.max = 0
        self.sets = 0
        self.pulses = 0  # off -> on transitions
        self.on_since = 0
        self.max_on_ms = 0

    def set(self, level):
        self.sets += 1
        if level > self.max:
            self.max = level
        now = self.clock.ticks_ms()
        if level and not self.level:
            self.pulses += 1
            self.on_since = now
        if self.level and not level:
            d = self.clock.ticks_diff(now, self.on_since)
            if d > self.max_on_ms:
                self.max_on_ms = d
        self.level = level
