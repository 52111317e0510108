# The optional battery-backed clock module (config "rtc"): what its registers
# mean. The hal moves the bytes over I2C (board.rtc); this
# module only turns registers into seconds from the device epoch and back, so
# the same code decodes the real chip and the sim's model of it.
#
# The chip keeps UTC as BCD date and time. A time is believed only if it is
# plausible: oscillator running since it was set (DS3231 OSF, PCF8563 VL clear),
# valid BCD, 24-hour mode, a real date, year 2024..2057 (seconds from the
# device epoch stay below 2^30, a small int on the Pico). The UTC offset lives
# in two alarm registers (alarms stay disabled), bit 7 set as its mark.
# Runs at boot and on SET_CLOCK only, never in the cue loop.
from micropython import const

_NO_MODULE = const(0)  # config "rtc": none fitted
DS3231 = const(1)
PCF8563 = const(2)
ABSENT = const(-2)  # read(): no module answers
LOST = const(-1)  # read(): it answers, but its time is not to be trusted

_DS_ADDR = const(0x68)
_PCF_ADDR = const(0x51)
_DS_STATUS = const(0x0F)  # bit 7 OSF: the oscillator stopped (battery lost)
_YEAR_MIN = const(2024)
_YEAR_MAX = const(2057)  # 2058-01-01 is 1073001600 s from the epoch: under 2^30
_TZ_BIAS = const(0x1000)
_DAY_S = const(86400)
_MONTH_DAYS = const(b"\x1f\x1c\x1f\x1e\x1f\x1e\x1f\x1f\x1e\x1f\x1e\x1f")

_wbuf = bytearray(9)  # SET_CLOCK's write: seconds .. year, then the offset
_ZERO = const(b"\x00")


def addr(chip):
    return _DS_ADDR if chip == DS3231 else _PCF_ADDR


def read_len(chip):
    # registers read from 0: DS3231 up to its status (0x0F), PCF8563 up to the alarm hour
    return 16 if chip == DS3231 else 11


def time_reg(chip):
    # first time register: seconds
    return 0 if chip == DS3231 else 2


def _bcd(b):
    hi = b >> 4
    lo = b & 15
    return -1 if hi > 9 or lo > 9 else hi * 10 + lo


def _to_bcd(v):
    return (v // 10) << 4 | v % 10


def month_days(y, m):
    return 29 if m == 2 and y % 4 == 0 else _MONTH_DAYS[m - 1]


def days_from(y, m, d):
    """Days from 2024-01-01 to y-m-d (2024..2099: every fourth year a leap year)."""
    n = (y - _YEAR_MIN) * 365 + (y - 1) // 4 - (_YEAR_MIN - 1) // 4 + d - 1
    for k in range(1, m):
        n += month_days(y, k)
    return n


def decode(chip, buf):
    """Seconds from the device epoch the registers (read from 0) hold, or LOST."""
    o = time_reg(chip)
    if chip == DS3231:
        if buf[_DS_STATUS] & 0x80 or buf[2] & 0x40:  # stopped, or 12-hour mode (never written so)
            return LOST
        d = _bcd(buf[4] & 0x3F)
        mo = _bcd(buf[5] & 0x1F)  # bit 7: century, ignored (years 2024..2057)
    else:
        if buf[o] & 0x80:  # VL: the voltage dropped, time not guaranteed
            return LOST
        d = _bcd(buf[o + 3] & 0x3F)
        mo = _bcd(buf[o + 5] & 0x1F)
    s = _bcd(buf[o] & 0x7F)
    mi = _bcd(buf[o + 1] & 0x7F)
    h = _bcd(buf[o + 2] & 0x3F)
    y = _bcd(buf[o + 6]) + 2000
    if not (0 <= s < 60 and 0 <= mi < 60 and 0 <= h < 24 and 1 <= mo <= 12 and _YEAR_MIN <= y <= _YEAR_MAX):
        return LOST
    if not 1 <= d <= month_days(y, mo):
        return LOST
    return days_from(y, mo, d) * _DAY_S + h * 3600 + mi * 60 + s


def tz_of(chip, buf):
    """The UTC offset in minutes kept beside the time (0 if none was kept)."""
    o = time_reg(chip) + 7
    lo = buf[o]
    hi = buf[o + 1]
    if not lo & hi & 0x80:
        return 0
    return ((hi & 0x7F) << 7 | lo & 0x7F) - _TZ_BIAS


def encode(chip, s, tz_min, buf, at):
    """Seconds from the device epoch and the offset as the chip's registers, from its
    seconds register on: 9 bytes into buf at `at`."""
    days = s // _DAY_S
    r = s - days * _DAY_S
    wd = (days + 1) % 7  # 2024-01-01 was a Monday; 0 = Sunday
    y = _YEAR_MIN
    while True:
        n = 366 if y % 4 == 0 else 365
        if days < n:
            break
        days -= n
        y += 1
    m = 1
    while days >= month_days(y, m):
        days -= month_days(y, m)
        m += 1
    buf[at] = _to_bcd(r % 60)
    buf[at + 1] = _to_bcd(r // 60 % 60)
    buf[at + 2] = _to_bcd(r // 3600)
    if chip == DS3231:
        buf[at + 3] = wd or 7  # Monday 1 .. Sunday 7
        buf[at + 4] = _to_bcd(days + 1)
    else:
        buf[at + 3] = _to_bcd(days + 1)
        buf[at + 4] = wd
    buf[at + 5] = _to_bcd(m)
    buf[at + 6] = _to_bcd(y - 2000)
    v = tz_min + _TZ_BIAS
    buf[at + 7] = 0x80 | v & 0x7F
    buf[at + 8] = 0x80 | (v >> 7) & 0x7F


def read(board, chip):
    """(seconds from the device epoch, UTC offset) from the module, or (ABSENT or LOST, 0)."""
    if chip == _NO_MODULE:
        return ABSENT, 0
    buf = bytearray(read_len(chip))
    if not board.rtc(addr(chip), 0, buf):
        return ABSENT, 0
    s = decode(chip, buf)
    return s, (tz_of(chip, buf) if s >= 0 else 0)


def write(board, chip, s, tz_min):
    """Set the module; True when it took it. A DS3231's OSF is cleared after the time."""
    if chip == _NO_MODULE:
        return False
    encode(chip, s, tz_min, _wbuf, 0)
    a = addr(chip)
    if not board.rtc(a, time_reg(chip), _wbuf, True):
        return False
    return chip != DS3231 or board.rtc(a, _DS_STATUS, _ZERO, True)
