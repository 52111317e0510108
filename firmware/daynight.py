# Day or night, decided again every second so the caps follow the clock during
# a session: by the clock the host set, else by the light sensor, else night
# (dim and warm is the safe guess at a bedside). With a sensor the day cap also
# follows the room, smoothed. Pure decisions, no hardware:
# tested under MicroPython and CPython alike.
#
# Wall time is past 2^30 s, a big int on the Pico (small ints are 31-bit), so
# the clock is kept as a small offset into the local day plus the uptime.
# const() with a fallback: the module imports under CPython unchanged, and on the
# device the private names fold into the code (no globals, no interned names).
try:
    from micropython import const  # pyright: ignore[reportAssignmentType]
except ImportError:

    def const(x):
        return x


_DAY_S = const(86400)
_DARK_BELOW = const(2000)  # light sensor (0..65535) below this is night...
_LIGHT_ABOVE = const(3000)  # ...and day again only above this (hysteresis)
_ROOM_S = const(5)  # the room counts as changed once a reading has held this long: headlights,
# a phone screen or a hand over the sensor do not switch the ring
# By day the ring dims with the room (a nap with the curtains closed), between the
# night cap (a dark room) and the day cap (a room this light or lighter):
_BRIGHT_AT = const(20000)
_SMOOTH_SHIFT = const(4)  # each second the smoothed room moves 1/16 of the way (~16 s to follow)
_CAP_STEP = const(8)  # the cap moves only by this much or more, or to either end: no flicker


def day_offset(epoch_s, tz_min, up_s):
    """Local seconds into the day at uptime 0, from a clock set at uptime up_s."""
    return (epoch_s + tz_min * 60 - up_s) % _DAY_S


def in_night_hours(hour, start, end):
    """Night from hour `start` up to (not including) `end`; it may wrap midnight."""
    if start > end:
        return hour >= start or hour < end
    return start <= hour < end


class DayNight:
    def __init__(self):
        self.clock_set = False
        self._day0 = 0  # local seconds into the day at uptime 0
        self.night = True
        self._room_s = -1  # uptime of the last reading on the side of .night (-1: none yet)
        self._smooth = -1  # the room's light, smoothed (-1: no sensor)
        self._smooth_s = 0  # uptime of its last step
        self._cap = -1  # the cap last given (-1: none yet)

    def set_clock(self, epoch_s, tz_min, up_s):
        self._day0 = day_offset(epoch_s, tz_min, up_s)
        self.clock_set = True

    def hour(self, up_s):
        return (self._day0 + up_s % _DAY_S) % _DAY_S // 3600

    def decide(self, up_s, start, end, light):
        """Night now? `light` is the sensor reading or -1 without one. Remembered in .night."""
        if self.clock_set:
            night = in_night_hours(self.hour(up_s), start, end)
        elif light >= 0:
            night = self._room(up_s, light)
        else:
            night = True
        if light < 0 or self.clock_set:
            self._room_s = -1  # the sensor starts afresh when the clock or sensor goes
        self._follow(up_s, light)
        self.night = night
        return night

    def _follow(self, up_s, light):
        # one smoothing step per second of uptime, however often decide() is asked
        if light < 0:
            self._smooth = -1
            return
        n = up_s - self._smooth_s
        if self._smooth < 0 or n > 64:  # a new sensor, or a long gap: the room is what it reads
            self._smooth = light
            self._smooth_s = up_s
            return
        if n <= 0:
            return
        self._smooth_s = up_s
        v = self._smooth
        for _ in range(n):
            v += (light - v) >> _SMOOTH_SHIFT
        self._smooth = v

    def cap(self, day_cap, night_cap):
        """The ring's cap after the last decide(): the night cap at night; by day the day
        cap dimmed with a dark room, never below the night cap nor above the day cap."""
        if self.night:
            want = night_cap
        elif self._smooth < 0 or night_cap >= day_cap:
            want = day_cap
        else:
            f = min(max(self._smooth - _DARK_BELOW, 0), _BRIGHT_AT - _DARK_BELOW)
            want = night_cap + (day_cap - night_cap) * f // (_BRIGHT_AT - _DARK_BELOW)
        c = self._cap
        if c < 0 or want == day_cap or want == night_cap or abs(want - c) >= _CAP_STEP:
            self._cap = want
        return self._cap

    def _room(self, up_s, light):
        # dark or light by the sensor, with hysteresis; a change only once it has
        # lasted _ROOM_S (the first reading decides at once: nothing to hold it against)
        dark = light < _LIGHT_ABOVE if self.night else light < _DARK_BELOW
        if self._room_s < 0 or dark == self.night:
            self._room_s = up_s
            return dark
        if up_s - self._room_s >= _ROOM_S:
            self._room_s = up_s
            return dark
        return self.night
