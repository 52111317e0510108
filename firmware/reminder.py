# The practice plan on the device: stored like the table (written beside it,
# then renamed over it), and the silent reminder it asks for: a slow dim glow
# on the ring, never the motor. The app hands in (day, minute), whether a
# session plays and whether it is night; this room says which moment glows
# and gives each missed one to the app to log (docs/plans.md, Reminders).
# Nothing here allocates per tick.
import os

import plan
from contract import PLAN_MAX
from micropython import const

PLAN_FILE = "/plan.bin"
_STAGE = "/plan.new"
E_NO_PROTOCOL = const(100)  # put(): a moment names a protocol the table lacks

_PERIOD_MS = const(6000)  # one slow breath of light
# peak colours of the glow (linear RGB before the caps): warm by day, and by
# night the night palette's rule: no blue, red and a little amber
_DAY = (90, 60, 25)
_NIGHT = (110, 28, 0)
_LOW = const(8)  # the glow never goes fully dark while it is on (out of 255)


class ReminderRoom:
    def __init__(self, root, ring):
        self.root = root
        self.ring = ring
        self.buf = bytearray(PLAN_MAX)
        self.size = 0
        self.plan = plan.Plan(b"")  # no plan: err set, nothing due
        self.reminders = plan.Reminders(self.plan)
        self.glowing = plan.NONE  # moment index whose reminder shows
        self.ends = 0  # minute of day its window closes
        self._shown = False
        self._level = -1  # last level drawn
        self._night = False
        self.load()

    # -- storage ---------------------------------------------------------------
    def load(self):
        """The stored plan, if there is a valid one (never raises)."""
        n = 0
        try:
            with open(self.root + PLAN_FILE, "rb") as f:
                n = f.readinto(self.buf)
        except OSError:
            n = 0
        self._use(n or 0)

    def _use(self, n):
        self.size = n
        p = plan.Plan(memoryview(self.buf)[:n])
        if p.err:
            self.size = 0
        self.plan = p
        self.reminders = plan.Reminders(p)
        self.stop_glow()

    def put(self, data, table):
        """0, a PLAN_E_* code or E_NO_PROTOCOL; a good plan replaces the stored one
        atomically (stage file, then rename). OSError passes to the caller."""
        p = plan.Plan(data)
        if p.err:
            return p.err
        for i in range(p.count()):
            if table is None or table.index_of(p.protocol(i)) < 0:
                return E_NO_PROTOCOL
        with open(self.root + _STAGE, "wb") as f:
            f.write(data)
        os.rename(self.root + _STAGE, self.root + PLAN_FILE)
        self.buf[: len(data)] = data
        self._use(len(data))
        return 0

    def clear(self):
        try:
            os.remove(self.root + PLAN_FILE)
        except OSError:
            pass
        self._use(0)

    def data(self):
        return memoryview(self.buf)[: self.size]

    # -- reminders -------------------------------------------------------------
    def tick(self, day, minute, busy, on_missed):
        """Once a second with the local (day, minute), only while the clock is set.
        on_missed(moment, day) logs a MISSED record. Returns the glowing moment or NONE."""
        r = self.reminders
        while True:
            ev = r.tick(day, minute, busy)
            if ev != plan.R_MISSED:
                break
            on_missed(r.moment, r.moment_day)
        if ev == plan.R_DUE:
            self.glowing = r.moment
            self.ends = r.ends
        elif busy:
            self.glowing = plan.NONE  # the session owns the ring now: leave it be
            self._shown = False
        elif self.glowing != plan.NONE:
            self.stop_glow()
        return self.glowing

    def answer(self):
        """A tap during the glow: the moment is answered; returns its protocol id."""
        i = self.glowing
        if i == plan.NONE:
            return 0
        self.reminders.answer(i)
        self.stop_glow()
        return self.plan.protocol(i)

    def stop_glow(self):
        if self.glowing != plan.NONE and self._shown:
            self.ring.off()
        self.glowing = plan.NONE
        self._shown = False

    def draw(self, ms, night):
        """One frame of the glow at ms (any ms counter): a slow triangle of light."""
        if self.glowing == plan.NONE:
            return
        ph = ms % _PERIOD_MS
        half = _PERIOD_MS // 2
        level = ph if ph < half else _PERIOD_MS - ph  # 0..half
        level = (_LOW + (255 - _LOW) * level // half) & ~7  # 32 steps: a frame per step
        if self._shown and level == self._level and night == self._night:
            return
        self._level = level
        self._night = night
        c = _NIGHT if night else _DAY
        r = c[0] * level // 255
        g = c[1] * level // 255
        b = c[2] * level // 255
        buf = self.ring.buf
        for j in range(0, 3 * self.ring.n, 3):
            buf[j] = r
            buf[j + 1] = g
            buf[j + 2] = b
        self.ring.set_cap(255)
        self.ring.show()
        self._shown = True
