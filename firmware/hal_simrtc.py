# The simulated device's battery-backed clock module (ONTSPAN_SIM_RTC "ds3231" or
# "pcf8563"), imported by hal_sim only when there is one. Its registers live in
# STATE/rtc as "<hex from register 0> <real ms when written> <device ms to add>",
# so they outlive a stop and start as the module outlives a power cut. Its time runs
# at the sim's speed, also while the sim is stopped; a jump adds the device time it
# passes. No file: a module whose battery ran out (oscillator stopped, 2000-01-01).
import time

import rtc


def _real_ms():
    return time.time_ns() // 1000000  # the unix port's ints are 63-bit


class Clock:
    """The module: rtc() as its I2C transfers, jump() as the sim's jumps."""

    def __init__(self, state, name, speed):
        self._path = state + "/rtc"
        self._chip = rtc.DS3231 if name == "ds3231" else rtc.PCF8563
        self._speed = speed
        self._jump = (0, 0)  # (device s, real ms at its start) of the jump under way

    def _load(self):
        chip = self._chip
        try:
            with open(self._path) as f:
                words = f.read().split()
            regs = bytearray(bytes.fromhex(words[0]))
            written, extra = int(words[1]), int(words[2])
        except (OSError, ValueError, IndexError):
            regs, written, extra = bytearray(), 0, 0
        if len(regs) != rtc.read_len(chip):
            regs = bytearray(rtc.read_len(chip))
            o = rtc.time_reg(chip)
            regs[o + (4 if chip == rtc.DS3231 else 3)] = regs[o + 5] = 1  # 2000-01-01
            if chip == rtc.DS3231:
                regs[15] = 0x80  # OSF
            else:
                regs[o] = 0x80  # VL
        return regs, written, extra

    def _save(self, regs, written, extra):
        with open(self._path, "w") as f:
            f.write("%s %d %d\n" % (regs.hex(), written, extra))

    def _now(self):
        chip = self._chip
        regs, written, extra = self._load()
        s = rtc.decode(chip, regs)
        if s >= 0:  # a running oscillator: the time since it was written
            s += ((_real_ms() - written) * self._speed + extra) // 1000
            rtc.encode(chip, s, rtc.tz_of(chip, regs), regs, rtc.time_reg(chip))
        return regs

    def rtc(self, a, r, buf, write):
        """Registers from r into buf (write: from buf into them); False: not our address."""
        if a != rtc.addr(self._chip):
            return False  # no acknowledge
        regs = self._now()
        n = len(buf)
        if write:
            regs[r : r + n] = buf
            self._save(regs, _real_ms(), 0)
        else:
            buf[:n] = regs[r : r + n]
        return True

    def jump(self, n):
        """A jump of n s begins (n > 0) or is over (0): the module counted real time at
        speed meanwhile, where it should have counted the jump."""
        if n:
            self._jump = (n, _real_ms())
            return
        n, t0 = self._jump
        if n:
            regs, written, extra = self._load()
            self._save(regs, written, extra + n * 1000 - (_real_ms() - t0) * self._speed)
