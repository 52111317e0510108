# Practice plan: validator, zero-copy accessors and the reminder scheduler
# (format: docs/plans.md). validate() never raises on any bytes; accessors and
# the scheduler assume a plan that validated.
#
# Wall-clock time here is always two small ints: `day`, days since 2024-01-01
# (a Monday, so day % 7 is the weekday, 0 = Monday), and `minute`, minutes
# since local midnight. Unix seconds (> 2**30) never reach the per-tick code.
import binascii
import struct

from contract import (
    PLAN_CRC,
    PLAN_E_CRC,
    PLAN_E_HEADER,
    PLAN_E_LENGTH,
    PLAN_E_MAGIC,
    PLAN_E_MOMENT,
    PLAN_E_ORDER,
    PLAN_E_VERSION,
    PLAN_EPOCH_UNIX,
    PLAN_H_COUNT,
    PLAN_H_END,
    PLAN_H_LENGTH,
    PLAN_H_START,
    PLAN_H_TRIAL,
    PLAN_H_WEEKS,
    PLAN_HEADER,
    PLAN_M_DAYS,
    PLAN_M_MINUTE,
    PLAN_M_PROTOCOL,
    PLAN_M_RATING,
    PLAN_M_WINDOW,
    PLAN_MAGIC,
    PLAN_MAX_MOMENTS,
    PLAN_MIN,
    PLAN_MOMENT,
    PLAN_NO_END,
    PLAN_RATING_DAYS_SHIFT,
    PLAN_TRIAL_MAX,
    PLAN_VERSION,
    PLAN_WEEKS_MAX,
    PLAN_WINDOW_MAX,
    PLAN_WINDOW_MIN,
)
from micropython import const

_DAY_MINUTES = const(1440)

# what Reminders.tick() found
_R_NONE = const(0)  # nothing due
R_DUE = const(1)  # .moment glows until minute .ends
R_MISSED = const(2)  # .moment's window closed unanswered: log it, then tick again

NONE = const(-1)


def _u16(mv, i):
    return mv[i] | (mv[i + 1] << 8)


def local_day_minute(epoch_s, tz_min):
    # (day, minute) of a unix time at a UTC offset; for clock setting, not per tick
    # (epoch_s may be a big int on rp2; the result is small)
    m = (epoch_s - PLAN_EPOCH_UNIX) // 60 + tz_min
    return m // _DAY_MINUTES, m % _DAY_MINUTES


def _moment_ok(mv, o):
    t = _u16(mv, o + PLAN_M_MINUTE)
    p = mv[o + PLAN_M_PROTOCOL]
    d = mv[o + PLAN_M_DAYS]
    w = mv[o + PLAN_M_WINDOW]
    if t >= _DAY_MINUTES or p == 0 or p == 255 or d == 0 or d & 0x80:
        return False
    if w < PLAN_WINDOW_MIN or w > PLAN_WINDOW_MAX or t + w > _DAY_MINUTES:
        return False
    r = mv[o + PLAN_M_RATING]
    return r == 0 or r & 3 != 0  # days without a mode say nothing


def validate(buf):
    # 0 if the plan can be used, else the first failing PLAN_E_* code, in the order
    # of docs/plans.md (Validation)
    mv = memoryview(buf)
    size = len(mv)
    if size < PLAN_MIN:
        return PLAN_E_LENGTH
    if mv[0] != PLAN_MAGIC[0] or mv[1] != PLAN_MAGIC[1]:
        return PLAN_E_MAGIC
    if mv[2] != PLAN_VERSION:
        return PLAN_E_VERSION
    n = mv[PLAN_H_COUNT]
    if _u16(mv, PLAN_H_LENGTH) != size or size != PLAN_HEADER + n * PLAN_MOMENT + PLAN_CRC:
        return PLAN_E_LENGTH
    if binascii.crc32(mv[: size - PLAN_CRC]) != struct.unpack_from("<I", mv, size - PLAN_CRC)[0]:
        return PLAN_E_CRC
    start = _u16(mv, PLAN_H_START)
    end = _u16(mv, PLAN_H_END)
    weeks = mv[PLAN_H_WEEKS]
    trial = mv[PLAN_H_TRIAL]
    if n < 1 or n > PLAN_MAX_MOMENTS or start == PLAN_NO_END or end < start:
        return PLAN_E_HEADER
    if weeks < 1 or weeks > PLAN_WEEKS_MAX or trial < 1 or trial > PLAN_TRIAL_MAX:
        return PLAN_E_HEADER
    for i in range(n):
        if not _moment_ok(mv, PLAN_HEADER + i * PLAN_MOMENT):
            return PLAN_E_MOMENT
    # moments in time order; windows of moments sharing a weekday never overlap
    for i in range(1, n):
        o = PLAN_HEADER + i * PLAN_MOMENT
        t = _u16(mv, o)
        if t < _u16(mv, o - PLAN_MOMENT):
            return PLAN_E_ORDER
        for j in range(i):
            q = PLAN_HEADER + j * PLAN_MOMENT
            if mv[o + PLAN_M_DAYS] & mv[q + PLAN_M_DAYS] and _u16(mv, q) + mv[q + PLAN_M_WINDOW] > t:
                return PLAN_E_ORDER
    return 0


class Plan:
    # A validated plan over the caller's buffer (no copy). Check .err before use.
    def __init__(self, buf):
        self.buf = memoryview(buf)
        self.err = validate(self.buf)

    def count(self):
        return 0 if self.err else self.buf[PLAN_H_COUNT]

    def start_day(self):
        return _u16(self.buf, PLAN_H_START)

    def end_day(self):
        return _u16(self.buf, PLAN_H_END)

    def weeks(self):
        return self.buf[PLAN_H_WEEKS]

    def trial_sessions(self):
        return self.buf[PLAN_H_TRIAL]

    def minute(self, i):
        return _u16(self.buf, PLAN_HEADER + i * PLAN_MOMENT)

    def protocol(self, i):
        return self.buf[PLAN_HEADER + i * PLAN_MOMENT + PLAN_M_PROTOCOL]

    def days(self, i):
        return self.buf[PLAN_HEADER + i * PLAN_MOMENT + PLAN_M_DAYS]

    def window(self, i):
        return self.buf[PLAN_HEADER + i * PLAN_MOMENT + PLAN_M_WINDOW]

    def rating(self, i, day, own):
        # the rating mode of a session answering moment i on `day`: the plan's
        # override while it holds, else the protocol's own
        r = self.buf[PLAN_HEADER + i * PLAN_MOMENT + PLAN_M_RATING]
        if r == 0:
            return own
        days = r >> PLAN_RATING_DAYS_SHIFT
        if days and day >= _u16(self.buf, PLAN_H_START) + days:
            return own
        return (r & 3) - 1

    def ends(self, i):
        # minute of day the reminder window of moment i closes (<= 1440)
        o = PLAN_HEADER + i * PLAN_MOMENT
        return _u16(self.buf, o) + self.buf[o + PLAN_M_WINDOW]

    def crc(self):
        return struct.unpack_from("<I", self.buf, len(self.buf) - PLAN_CRC)[0]

    def on_day(self, i, day):
        # True if moment i is planned on `day`
        mv = self.buf
        if day < _u16(mv, PLAN_H_START) or day > _u16(mv, PLAN_H_END):
            return False
        return (mv[PLAN_HEADER + i * PLAN_MOMENT + PLAN_M_DAYS] >> (day % 7)) & 1 == 1

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
                    return ahead * _DAY_MINUTES + t - minute
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
        # _R_NONE, R_DUE (.moment, .ends) or R_MISSED (.moment, .moment_day); after
        # R_MISSED call again: more than one window may have closed since the last tick.
        # busy: a session is playing (no glow; windows closing meanwhile count as covered)
        self.moment = NONE
        self.busy = busy
        if self.plan.err:
            return _R_NONE
        if self.day == NONE or day < self.day or day > self.day + 1:
            self.day = day  # first tick, or the clock jumped: start afresh
            self.since = minute
            self.done = 0
        elif day == self.day + 1:
            if self._settle(_DAY_MINUTES):
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
        return _R_NONE

    def answer(self, i):
        # moment i was answered today (tap during its glow)
        self.done |= 1 << i
