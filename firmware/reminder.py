# The practice plan on the device: stored like the table (written beside it,
# then renamed over it), and the silent reminder it asks for: a slow dim glow
# on the ring, never the motor, only while no session plays and only once the
# host has set the clock (docs/plans.md, Reminders). A tap on the glow plays
# the moment's protocol; a window left alone becomes a MISSED log record.
# The app calls set_clock(), step() each loop pass and status_into(); GET_PLAN
# reads data(); storing and clearing a plan (PUT_PLAN, CLEAR_PLAN: idle only) are
# planlink.py's, a host room: an idle device keeps none of that code. Nothing here
# allocates per tick (a MISSED record's wall time is a heap int on the rp2,
# once per missed moment). plan.py is imported with the first stored plan (at
# boot or by PUT_PLAN, idle only): a device without a plan never loads its code.
import logrecord as lr
from contract import FLAG_PLAN, PLAN_MAX, STATE_REMINDER
from micropython import const

PLAN_FILE = const("/plan.bin")

_PERIOD_MS = const(6000)  # one slow breath of light
# peak colours of the glow (linear RGB; the device's day or night cap makes it
# dim): warm by day, and by night the night palette's rule: no blue, red with
# a little amber
_DAY = const((255, 170, 70))
_NIGHT = const((255, 64, 0))
_LOW = const(8)  # the glow never goes fully dark while it is on (out of 255)

_plan = None  # the plan module, once a plan needs it


def plan_module():
    global _plan
    if _plan is None:
        import plan

        _plan = plan
    return _plan


class ReminderRoom:
    def __init__(self, root, ring):
        self.root = root
        self.ring = ring
        self.rec = None  # a MISSED record's buffer, made with the first good plan
        self.day0 = 0  # plan day number when the clock was set
        self._tick_s = -1  # uptime second of the last tick
        self._night_now = True
        self.dev = None  # the app, while step() runs
        self._on_missed = self._missed  # bound once: tick() takes it each second
        self.buf = None  # the plan's bytes: plan_buf(), made when there is one to keep
        self.size = 0
        self.plan = None  # the stored plan (plan.Plan), None without a valid one
        self.reminders = None  # its plan.Reminders
        self.glowing = -1  # moment index whose reminder shows, -1 (plan.NONE) none
        self.ends = 0  # minute of day its window closes
        self._shown = False
        self._level = -1  # last level drawn
        self._night = False
        self.load()

    # -- storage ---------------------------------------------------------------
    def plan_buf(self):
        """The buffer the plan is kept in (PLAN_MAX bytes), made with the first one: a device
        without a plan has none."""
        if self.buf is None:
            self.buf = bytearray(PLAN_MAX)
        return self.buf

    def load(self):
        """The stored plan, if there is a valid one (never raises)."""
        n = 0
        try:
            with open(self.root + PLAN_FILE, "rb") as f:
                n = f.readinto(self.plan_buf())
        except OSError:
            n = 0
        self.use(n or 0)

    def use(self, n):
        """The first n bytes of plan_buf() are the plan now (0: none); planlink.py stores a new one."""
        self.size = 0
        self.plan = self.reminders = None
        if n:
            plan = plan_module()
            p = plan.Plan(memoryview(self.plan_buf())[:n])
            if not p.err:
                self.size = n
                self.plan = p
                self.reminders = plan.Reminders(p)
                if self.rec is None:
                    self.rec = bytearray(lr.SIZE)
        self.stop_glow()

    def data(self):
        return memoryview(self.plan_buf())[: self.size] if self.size else b""

    # -- reminders -------------------------------------------------------------
    def tick(self, day, minute, busy, on_missed):
        """Once a second with the local (day, minute), only while the clock is set.
        on_missed(moment, day) logs a MISSED record. Returns the glowing moment or NONE."""
        r = self.reminders
        if r is None:
            return -1
        plan = plan_module()
        while True:
            ev = r.tick(day, minute, busy)
            if ev != plan.R_MISSED:
                break
            on_missed(r.moment, r.moment_day)
        if ev == plan.R_DUE:
            self.glowing = r.moment
            self.ends = r.ends
        elif busy:
            self.glowing = -1  # the session owns the ring now: leave it be
            self._shown = False
        elif self.glowing >= 0:
            self.stop_glow()
        return self.glowing

    def answer(self):
        """A tap during the glow: the moment is answered; returns its protocol id."""
        i = self.glowing
        p = self.plan
        r = self.reminders
        if i < 0 or p is None or r is None:  # (a moment glows only with a plan)
            return 0
        r.answer(i)
        self.stop_glow()
        return p.protocol(i)

    def stop_glow(self):
        if self.glowing >= 0 and self._shown:
            self.ring.off()
        self.glowing = -1
        self._shown = False

    def draw(self, ms, night):
        """One frame of the glow at ms (any ms counter): a slow triangle of light."""
        if self.glowing < 0:
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

    # -- the app's side ----------------------------------------------------------
    def set_clock(self, device_s, tz_min):
        # device_s: seconds from the device epoch, 2024-01-01 00:00 UTC = plan day 0
        self.day0 = (device_s // 60 + tz_min) // 1440
        self._tick_s = -1

    def _local_s(self, dev):
        # local seconds since midnight of day0 (small: the app keeps the clock as
        # the second of the day it was set plus uptime)
        return dev._day_s0 + dev.up_s - dev._up_at_set

    def step(self, dev):
        """Each loop pass: tick once a second, glow while a reminder is due."""
        self.ring = dev.board.ring  # apply_config may build a new ring
        if not dev.clock_set or self.plan is None:
            return
        idle = not dev.session.busy()
        if dev.up_s != self._tick_s:
            self._tick_s = dev.up_s
            now = self._local_s(dev)
            self.dev = dev
            self.tick(self.day0 + now // 86400, now % 86400 // 60, not idle, self._on_missed)
            if self.glowing >= 0:
                self._night_now = dev.set_night_cap()
        if self.glowing >= 0 and idle:
            self.draw(dev.clk.ticks_ms(), self._night_now)

    def _missed(self, i, day):
        """The MISSED record of moment i on `day` (docs/log-format.md)."""
        dev = self.dev
        p = self.plan
        if dev is None or p is None:
            return
        t = dev.storage.table
        pid = p.protocol(i)
        crc = 0
        planned = 0
        if t is not None:
            crc = t.crc()
            k = t.index_of(pid)
            if k >= 0:
                planned = min(t.duration_ms(k) // 1000, 0xFFFE)
        ago = self._local_s(dev) - ((day - self.day0) * 86400 + p.minute(i) * 60)
        up = dev.up_s - ago if dev.up_s > ago else 0
        lr.pack_into(
            self.rec, 0, lr.MISSED, 0, dev.log.boot, up, 0, pid, crc, planned,
            0, 0, 0, lr.OUT_NONE, lr.NOT_RATED, lr.NOT_RATED, i,
        )
        dev.wall_into(self.rec, lr.LOG_O_WALL, up)  # Unix seconds only as halves (31-bit ints)
        lr.seal(self.rec, 0)
        try:
            dev.log.append(self.rec)
        except OSError:
            pass  # a full or failing flash must not stop the device

    def tap(self, dev):
        """A tap while idle: True if a reminder glowed and its protocol now plays."""
        i = self.glowing
        if i < 0:
            return False
        pid = self.answer()
        t = dev.storage.table
        k = t.index_of(pid) if t is not None else -1
        return k >= 0 and dev.session.begin(k, i)

    def rating(self, dev, i, own):
        """The rating mode of a session answering moment i today (the plan's
        override while it holds, else `own`, the protocol's)."""
        if self.plan is None or i < 0 or i >= self.plan.count():
            return own
        return self.plan.rating(i, self.day0 + self._local_s(dev) // 86400, own)

    def status_into(self, dev, st):
        """STATUS: the plan flag; while a reminder glows, the state, the moment's
        protocol, seconds since its window opened and until it closes."""
        if self.size:
            st[2] |= FLAG_PLAN
        i = self.glowing
        p = self.plan
        if i < 0 or p is None or dev.session.busy():
            return
        sec = self._local_s(dev) % 86400
        opened = p.minute(i) * 60
        closes = self.ends * 60
        st[0] = STATE_REMINDER
        st[1] = p.protocol(i)
        st[3] = sec - opened if sec > opened else 0
        st[4] = closes - sec if closes > sec else 0
