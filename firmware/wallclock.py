# The device's clocks, a part of app.Device: uptime that never wraps, the wall
# clock as the host (SET_CLOCK) or a battery-backed module at boot (rtc.py) set it,
# and day and night as they follow it (daynight.py decides).
# Wall time is kept as seconds from the device epoch (contract.DEVICE_EPOCH_*), a
# small int until 2058 on the rp2's 31-bit ints; Unix seconds exist only as u16
# halves, never as one int.
# pyright: reportAttributeAccessIssue=false
# (a mixin: cfg, board, reminders, daynight, session and engine are the Device's)
import struct

import session as ss
from contract import (
    DEVICE_EPOCH_HI,
    DEVICE_EPOCH_LO,
    ERR_VALUE,
    FLAG_CLOCK_RTC,
    FLAG_RTC,
    WALL_HALVES,
)
from micropython import const

_EPOCH_SPAN = const(0x3FFF)  # a clock this many 64 Ki-s halves from the epoch still fits 2**30


class WallClock:
    """Mixed into app.Device: its clocks, SET_CLOCK, the clock module (rtc.py) and the
    ring's day and night. It reads the Device's cfg, board, reminders, daynight, session
    and engine."""

    def start_clock(self, ticks):
        self.clk = ticks  # ticks_ms() and ticks_diff(): the board's
        self._last = ticks.ticks_ms()
        self.up_s = 0  # uptime that never wraps: whole seconds plus a ms remainder
        self._up_ms = 0
        self.epoch_base = 0  # seconds from the device epoch = epoch_base + up_s once set
        self.tz_min = 0
        self._day_s0 = 0  # local second of the day when the clock was set
        self._up_at_set = 0
        self.clock_set = False
        self.clock_rtc = 0
        self._clock = [0, 0, 0, False]  # Unix seconds low half, high half, tz_min, set
        self._night_up_s = -1  # uptime second of the last day/night decision

    def _tick_uptime(self):
        now = self.clk.ticks_ms()
        self._up_ms += self.clk.ticks_diff(now, self._last)
        self._last = now
        if self._up_ms >= 1000:
            s = self._up_ms // 1000
            self.up_s += s
            self._up_ms -= s * 1000

    def wall_s(self):
        """Seconds since 2024-01-01 00:00 UTC now (0 while the clock is unset)."""
        return self.epoch_base + self.up_s if self.clock_set else 0

    def _unix_halves(self, c, up_s):
        """c[0], c[1] = low, high u16 half of the Unix seconds at uptime up_s (0 if unset)."""
        if not self.clock_set:
            c[0] = c[1] = 0
            return
        t = self.epoch_base + up_s + DEVICE_EPOCH_LO
        c[0] = t & 0xFFFF
        c[1] = DEVICE_EPOCH_HI + (t >> 16)

    def wall_into(self, buf, off, up_s):
        """Pack the Unix seconds at uptime up_s as a u32 (two halves) at buf[off]."""
        c = self._clock
        self._unix_halves(c, up_s)
        struct.pack_into(WALL_HALVES, buf, off, c[0], c[1])

    def clock(self):
        c = self._clock  # filled in place: no tuple per GET_CLOCK
        self._unix_halves(c, self.up_s)
        c[2] = self.tz_min
        c[3] = self.clock_set
        return c

    def rtc(self, now):
        """The clock module the config names (rtc.py): now >= 0 (device seconds) is
        written to it; -1 reads it and takes its time if it is plausible: at boot, or
        when the config names one (idle), never in the loop. clock_rtc keeps the STATUS
        and INFO flags that came of it."""
        self.clock_rtc = 0
        if not self.cfg["rtc"]:
            return
        import rtc  # only on a device with a module: its code costs heap

        if now >= 0:
            if rtc.write(self.board, self.cfg["rtc"], now, self.tz_min):
                self.clock_rtc = FLAG_RTC
            return
        s, tz = rtc.read(self.board, self.cfg["rtc"])
        if s > -2:  # not rtc.ABSENT: a module answers
            self.clock_rtc = FLAG_RTC
        if s >= 0:
            self._set_wall(s, tz)
            self.clock_rtc |= FLAG_CLOCK_RTC

    def set_clock(self, lo, hi, tz_min):
        if not -_EPOCH_SPAN <= hi - DEVICE_EPOCH_HI <= _EPOCH_SPAN:
            return ERR_VALUE  # before 1990 or after 2058: not a clock a host sends
        self._tick_uptime()
        now = ((hi - DEVICE_EPOCH_HI) << 16) + lo - DEVICE_EPOCH_LO  # from the device epoch, a midnight
        self._set_wall(now, tz_min)
        # set this boot now; the module (if any) keeps it through the next power cut
        self.clock_rtc = 0
        if now >= 0:
            self.rtc(now)
        return 0

    def _set_wall(self, now, tz_min):
        self.epoch_base = now - self.up_s
        self.tz_min = tz_min
        self._day_s0 = (now + tz_min * 60) % 86400
        self._up_at_set = self.up_s
        self.clock_set = True
        # `now` counts from 2024-01-01 00:00 UTC, the plan's day 0 and a midnight:
        # days and seconds of the day come out as from Unix seconds, all small ints
        self.reminders.set_clock(now, tz_min)
        self.daynight.set_clock(now, tz_min, self.up_s)
        self._night_up_s = -1

    def is_night(self):
        cfg = self.cfg
        return self.daynight.decide(self.up_s, cfg["night_start"], cfg["night_end"], self.board.light())

    def _follow_night(self):
        # once a second: caps and palette follow the clock, in a session too
        if self._night_up_s == self.up_s:
            return
        self._night_up_s = self.up_s
        night = self.set_night_cap()
        m = self.session.mode
        e = self.engine  # there while a session plays or is paused (cueroom.py)
        if (m == ss.PLAYING or m == ss.PAUSED) and e is not None and night != e.night:
            e.set_night(night)

    def set_night_cap(self):
        """The ring's device cap for now (day or night, and the room); returns whether it is night."""
        night = self.is_night()
        self.board.ring.set_device_cap(self.daynight.cap(self.cfg["day_cap"], self.cfg["night_cap"]))
        return night
