# Practice plan: validator, zero-copy accessors and the reminder scheduler
# (format: docs/plans.md). validate() never raises on any bytes; accessors and
# the scheduler assume a plan that validated.
#
# Wall-clock time here is always two small ints: `day`, days since 2024-01-01
# (a Monday, so day % 7 is the weekday, 0 = Monday), and `minute`, minutes
# since local midnight. Unix seconds (> 2**30) never reach the per-tick code.
# The host imports this file too (ontspan.firmware.plan), for the constants.
import binascii
import struct

try:
    from micropython import const  # pyright: ignore[reportAssignmentType]
except ImportError:  # CPython, the host: const is the identity

    def const(x):
        return x


MAGIC0 = const(0x4F)  # "O"
MAGIC1 = const(0x50)  # "P"
VERSION = const(1)
HEADER = const(12)
MOMENT = const(6)
CRC_SIZE = const(4)
MAX_MOMENTS = const(16)
NO_END = const(0xFFFF)  # end day: reminders go on after the block
MIN_WINDOW = const(5)
MAX_WINDOW = const(120)
MAX_WEEKS = const(12)
MAX_TRIAL = const(20)
DAY_MINUTES = const(1440)
# unix seconds of day 0 (2024-01-01 00:00 UTC)
EPOCH_UNIX = const(1704067200)

E_OK = const(0)
E_LENGTH = const(1)
E_MAGIC = const(2)
E_VERSION = const(3)
E_CRC = const(4)
E_HEADER = const(5)
E_MOMENT = const(6)
E_ORDER = const(7)

# header fields
H_COUNT = const(3)
H_LENGTH = const(4)
H_START = const(6)
H_END = const(8)
H_WEEKS = const(10)
H_TRIAL = const(11)
# moment fields, relative to the moment's offset
M_MINUTE = const(0)
M_PROTOCOL = const(2)
M_DAYS = const(3)
M_WINDOW = const(4)
M_RESERVED = const(5)

# what Reminders.tick() found
R_NONE = const(0)  # nothing due
R_DUE = const(1)  # .moment glows until minute .ends
R_MISSED = const(2)  # .moment's window closed unanswered: log it, then tick again

NONE = const(-1)


def _u16(mv, i):
    return mv[i] | (mv[i + 1] << 8)


def local_day_minute(epoch_s, tz_min):
    # (day, minute) of a unix time at a UTC offset; for clock setting, not per tick
    # (epoch_s may be a big int on rp2; the result is small)
    m = (epoch_s - EPOCH_UNIX) // 60 + tz_min
    return m // DAY_MINUTES, m % DAY_MINUTES


def _moment_ok(mv, o):
    t = _u16(mv, o + M_MINUTE)
    p = mv[o + M_PROTOCOL]
    d = mv[o + M_DAYS]
    w = mv[o + M_WINDOW]
    if t >= DAY_MINUTES or p == 0 or p == 255 or d == 0 or d & 0x80:
        return False
    if w < MIN_WINDOW or w > MAX_WINDOW or t + w > DAY_MINUTES:
        return False
    return mv[o + M_RESERVED] == 0


def validate(buf):
    # 0 if the plan can be used, else the first failing E_* code, in the order
    # of docs/plans.md (Validation)
    mv = memoryview(buf)
    size = len(mv)
    if size < HEADER + MOMENT + CRC_SIZE:
        return E_LENGTH
    if mv[0] != MAGIC0 or mv[1] != MAGIC1:
        return E_MAGIC
    if mv[2] != VERSION:
        return E_VERSION
    n = mv[H_COUNT]
    if _u16(mv, H_LENGTH) != size or size != HEADER + n * MOMENT + CRC_SIZE:
        return E_LENGTH
    if binascii.crc32(mv[: size - CRC_SIZE]) != struct.unpack_from("<I", mv, size - CRC_SIZE)[0]:
        return E_CRC
    start = _u16(mv, H_START)
    end = _u16(mv, H_END)
    weeks = mv[H_WEEKS]
    trial = mv[H_TRIAL]
    if n < 1 or n > MAX_MOMENTS or start == NO_END or end < start:
        return E_HEADER
    if weeks < 1 or weeks > MAX_WEEKS or trial < 1 or trial > MAX_TRIAL:
        return E_HEADER
    for i in range(n):
        if not _moment_ok(mv, HEADER + i * MOMENT):
            return E_MOMENT
    # moments in time order; two moments sharing a weekday never share a minute
    for i in range(1, n):
        o = HEADER + i * MOMENT
        t = _u16(mv, o)
        if t < _u16(mv, o - MOMENT):
            return E_ORDER
        for j in range(i):
            q = HEADER + j * MOMENT
            if mv[o + M_DAYS] & mv[q + M_DAYS] and _u16(mv, q) + mv[q + M_WINDOW] > t:
                return E_ORDER
    return E_OK


class Plan:
    # A validated plan over the caller's buffer (no copy). Check .err before use.
    def __init__(self, buf):
        self.buf = memoryview(buf)
        self.err = validate(self.buf)

    def count(self):
        return 0 if self.err else self.buf[H_COUNT]

    def start_day(self):
        return _u16(self.buf, H_START)

    def end_day(self):
        return _u16(self.buf, H_END)

    def weeks(self):
        return self.buf[H_WEEKS]

    def trial_sessions(self):
        return self.buf[H_TRIAL]

    def minute(self, i):
        return _u16(self.buf, HEADER + i * MOMENT)

    def protocol(self, i):
        return self.buf[HEADER + i * MOMENT + M_PROTOCOL]

    def days(self, i):
        return self.buf[HEADER + i * MOMENT + M_DAYS]

    def window(self, i):
        return self.buf[HEADER + i * MOMENT + M_WINDOW]

    def ends(self, i):
        # minute of day the reminder window of moment i closes (<= 1440)
        o = HEADER + i * MOMENT
        return _u16(self.buf, o) + self.buf[o + M_WINDOW]

    def crc(self):
        return struct.unpack_from("<I", self.buf, len(self.buf) - CRC_SIZE)[0]

    def on_day(self, i, day):
        # True if moment i is planned on `day`
        mv = self.buf
        if day < _u16(mv, H_START) or day > _u16(mv, H_END):
            return False
        return (mv[HEADER + i * MOMENT + M_DAYS] >> (day % 7)) & 1 == 1

    def due(self, day, minute):
        # the moment whose window holds (day, minute), or NONE
        for i in range(self.count()):
            t = self.minute(i)
            if t <= minute < t + self.window(i) and self.on_day(i, day):
                return i
        return NONE

    def next_due(self, day, minute):
        # minutes from (day, minute) to the next window opening, within a week; NONE if none
        n = self.count()
        for ahead in range(8):
            d = day + ahead
            for i in range(n):
                t = self.minute(i)
                if (ahead or t >= minute) and self.on_day(i, d):
                    return ahead * DAY_MINUTES + t - minute
        return NONE


class Reminders:
    # What the reminders do, tick by tick, for one plan. Knows nothing of lights
    # or logs: tick() says what is due; the caller glows, starts, logs. tick()
    # never allocates. Only windows seen open while the clock was known count:
    # a window that closed before the first tick (device off, clock not set)
    # is never logged missed here (the host sees it as missed anyway).
    def __init__(self, plan):
        self.plan = plan
        self.moment = NONE  # what the last tick returned is about
        self.moment_day = NONE  # and the day of that moment (R_MISSED: maybe yesterday)
        self.ends = 0  # minute of day the glowing window closes
        self.reset()

    def reset(self):
        # forget the day (new plan, clock set again)
        self.day = NONE
        self.since = 0  # first minute of the tracked day the device saw
        self.done = 0  # bit i: moment i answered, covered by a session or logged
        self.busy = False

    def _settle(self, end_minute):
        # the first tracked window of self.day closed by end_minute, unanswered
        p = self.plan
        for i in range(p.count()):
            if self.done >> i & 1 or not p.on_day(i, self.day):
                continue
            e = p.ends(i)
            if self.since < e <= end_minute:
                self.done |= 1 << i
                if self.busy:
                    continue  # it closed while a session played: practice, not missed
                self.moment = i
                self.moment_day = self.day
                return True
        return False

    def tick(self, day, minute, busy=False):
        # R_NONE, R_DUE (.moment, .ends) or R_MISSED (.moment, .moment_day); after
        # R_MISSED call again: more than one window may have closed since the last tick.
        # busy: a session is playing (no glow; windows closing meanwhile count as covered)
        self.moment = NONE
        self.busy = busy
        if self.plan.err:
            return R_NONE
        if self.day == NONE or day < self.day or day > self.day + 1:
            self.day = day  # first tick, or the clock jumped: start afresh
            self.since = minute
            self.done = 0
        elif day == self.day + 1:
            if self._settle(DAY_MINUTES):
                return R_MISSED
            self.day = day
            self.since = 0
            self.done = 0
        if minute < self.since:
            self.since = minute  # clock set back a little: keep what is done
        if self._settle(minute):
            return R_MISSED
        if not busy:
            i = self.plan.due(day, minute)
            if i != NONE and not self.done >> i & 1:
                self.moment = i
                self.moment_day = day
                self.ends = self.plan.ends(i)
                return R_DUE
        return R_NONE

    def answer(self, i):
        # moment i was answered today (tap during its glow)
        self.done |= 1 << i
