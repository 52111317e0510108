# Day or night, decided again every second so the caps follow the clock during
# a session: by the clock the host set, else by the light sensor, else night
# (dim and warm is the safe guess at a bedside). Pure decisions, no hardware:
# tested under MicroPython and CPython alike.
#
# Wall time is past 2^30 s, a big int on the Pico (small ints are 31-bit), so
# the clock is kept as a small offset into the local day plus the uptime.
# (plain ints, no const(): the module imports under CPython unchanged)

DAY_S = 86400
DARK_BELOW = 2000  # light sensor (0..65535) below this is night...
LIGHT_ABOVE = 3000  # ...and day again only above this (hysteresis)
ROOM_S = 5  # the room counts as changed once a reading has held this long: headlights,
# a phone screen or a hand over the sensor do not switch the ring


def day_offset(epoch_s, tz_min, up_s):
    """Local seconds into the day at uptime 0, from a clock set at uptime up_s."""
    return (epoch_s + tz_min * 60 - up_s) % DAY_S


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

    def set_clock(self, epoch_s, tz_min, up_s):
        self._day0 = day_offset(epoch_s, tz_min, up_s)
        self.clock_set = True

    def hour(self, up_s):
        return (self._day0 + up_s % DAY_S) % DAY_S // 3600

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
        self.night = night
        return night

    def _room(self, up_s, light):
        # dark or light by the sensor, with hysteresis; a change only once it has
        # lasted ROOM_S (the first reading decides at once: nothing to hold it against)
        dark = light < LIGHT_ABOVE if self.night else light < DARK_BELOW
        if self._room_s < 0 or dark == self.night:
            self._room_s = up_s
            return dark
        if up_s - self._room_s >= ROOM_S:
            self._room_s = up_s
            return dark
        return self.night
