# Board support for the simulated device: the same firmware on the MicroPython
# unix port. Records each change of the LED frame (readers carry the last one
# forward) and of the motor level, each button event and cue edge in a trace
# file, draws the ring on a terminal, takes injected button gestures, scales
# time, and keeps the flash filesystem in a littlefs image file (hal_simflash.py).
#
# Environment (set by `ontspan sim`):
#   ONTSPAN_SIM_STATE  directory holding flash.img, control FIFO, trace
#   ONTSPAN_SIM_SPEED  integer time scale (60 = one device minute per second)
#   ONTSPAN_SIM_TRACE  trace file path ("" = no trace)
#   ONTSPAN_SIM_DRAW   "1" = draw ring and motor on stderr
#   ONTSPAN_SIM_ID     device id, hex
#   ONTSPAN_SIM_TICKS0 initial tick count (default: 10 s before the 2^30 wrap)
#   ONTSPAN_SIM_RTC    "ds3231" or "pcf8563": a battery-backed clock module on I2C
#                      (its registers in STATE/rtc, kept across a stop and start)
#
# Control FIFO lines, taken in order: "tap", "double", "hold" press the button;
# "light N" is the room as the light sensor reads it (0..65535, -1 = no sensor);
# "jump S" lets S seconds of device time pass at once; "fault" raises an
# exception inside the loop (sim only: tests the app's self-recovery).
#
# A jump is time passing, not a clock change (docs/plans.md, The sim's clock):
# the loop runs on a virtual clock, its sleeps pass at once: exactly as asked
# while cues, a gesture or a motor pattern run, else up to 1 s (lit) or 30 s
# (dark). Each finished jump adds one to STATE/jumps. A held gesture paces the
# clock the same way, its sleeps landing on the gesture's edges (hal_simbutton.py).
import os
import select
import sys
import time

import motor
import pixels
import ticks
import vfs
from hal_simbutton import Button
from hal_simflash import FileBlockDev
from micropython import const

_RGB = b"\x00\x01\x02"
_IDLE_FLOOR_MS = const(20)  # the app's idle sleep
_JUMP_LIT_MS = const(1000)  # a jump's idle step while the ring is lit...
_JUMP_DARK_MS = const(30000)  # ...and while it is dark (reminders see every minute)
_MOTOR_QUIET_MS = const(2000)  # a motor pattern's gaps are shorter: exact steps until then


def _env(name, default):
    v = os.getenv(name)
    return default if v is None or v == "" else v


def ring_text(out, n, motor_level):
    """The ring as ANSI truecolour cells and the motor as a bar, for one terminal
    line: the sim's drawing and `ontspan preview --terminal` both use it."""
    cells = []
    for j in range(0, 3 * n, 3):
        # lift dim values so a night frame is still visible on a monitor
        cells.append(
            "\x1b[38;2;%d;%d;%dm\u25cf" % (min(255, out[j] * 4), min(255, out[j + 1] * 4), min(255, out[j + 2] * 4))
        )
    return "%s\x1b[0m  motor [%-10s]" % (" ".join(cells), "#" * (motor_level * 10 // 255))


class Clock:
    """Scaled device time with the Pico's 2^30 tick period. While frozen (a jump)
    it stands still between advance() calls instead of following real time."""

    def __init__(self, speed, t0):
        self.speed = speed
        self._t0 = t0
        self._us0 = time.ticks_us()
        self.frozen = False

    def ticks_ms(self):
        if self.frozen:
            return self._t0
        us = time.ticks_diff(time.ticks_us(), self._us0)
        return ticks.ticks_add(self._t0, us * self.speed // 1000)

    def freeze(self):
        self._t0 = self.ticks_ms()
        self.frozen = True

    def advance(self, ms):
        self._t0 = ticks.ticks_add(self._t0, ms)

    def thaw(self):
        self._us0 = time.ticks_us()
        self.frozen = False

    # the Pico's 2^30 wrap; the unix port's own ticks wrap at 2^62
    ticks_add = staticmethod(ticks.ticks_add)
    ticks_diff = staticmethod(ticks.ticks_diff)


class Trace:
    def __init__(self, path):
        self._f = open(path, "a") if path else None

    def write(self, line):
        # no flush(): on the unix port it is an fsync(), a disk round trip inside the
        # cue loop (a stall SPEED times longer in device time); the port's file
        # writes are unbuffered, so a reader sees the line at once
        if self._f:
            self._f.write(line)
            self._f.write("\n")


class Ring(pixels.Ring):
    def __init__(self, n, cap, board):
        super().__init__(n, cap, bytearray(3 * n), _RGB)
        self._board = board
        self._last = bytearray(3 * n)
        self.frames = 0

    def show(self):
        self.render_out()
        self.frames += 1
        if self.out != self._last:
            self._last[:] = self.out
            b = self._board
            b.trace.write("F %d %s" % (b.clock.ticks_ms(), self.out.hex()))
            b.draw()



class Motor(motor.Motor):
    """The shared motor model; its duty goes to the trace as "M <ms> <level> <duty_u16>"."""

    def __init__(self, cap, board):
        self._board = board
        self.changed = 0
        self._settled = True
        super().__init__(self._traced, board.clock, cap)

    def _traced(self, duty):
        b = self._board
        self.changed = b.clock.ticks_ms()
        self._settled = False
        b.trace.write("M %d %d %d" % (self.changed, self.level, duty))
        b.draw()

    def quiet(self):
        """Off, and long enough that no pattern is between two pulses. Remembered once
        true: ticks_diff of a change days ago would wrap (it spans +-2^29 ms)."""
        if self.level:
            return False
        if not self._settled:
            c = self._board.clock
            self._settled = c.ticks_diff(c.ticks_ms(), self.changed) >= _MOTOR_QUIET_MS
        return self._settled


class Status:
    """The on-board LED, as the Pico's machine.Pin: value(1) lights it."""

    def __init__(self, board):
        self._board = board
        self.on = 0

    def value(self, v):
        if v != self.on:
            self.on = v
            b = self._board
            b.trace.write("S %d %d" % (b.clock.ticks_ms(), v))


class Board:
    fs_root = "/flash"

    def __init__(self, cfg):
        state = _env("ONTSPAN_SIM_STATE", ".")
        self._state = state
        self.speed = int(_env("ONTSPAN_SIM_SPEED", "1"))
        self.clock = Clock(self.speed, int(_env("ONTSPAN_SIM_TICKS0", str(ticks.PERIOD - 10000))))
        self.trace = Trace(_env("ONTSPAN_SIM_TRACE", ""))
        self._draw = _env("ONTSPAN_SIM_DRAW", "0") == "1"
        self._drawn_us = 0
        self.ring = Ring(cfg["ring_leds"], cfg["day_cap"], self)
        self.motor = Motor(cfg["motor_cap"], self)
        self.button = Button(self)
        self.status = Status(self)
        self._id = bytes.fromhex(_env("ONTSPAN_SIM_ID", "0123456789abcdef"))
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)
        self._ctl = None
        try:
            self._ctl = open(state + "/control", "r+b")  # FIFO: read+write never blocks on open
            self._poll.register(self._ctl, select.POLLIN)
        except OSError:
            pass
        self._ctl_buf = bytearray(1)
        self._ctl_line = bytearray()
        self._light = -1  # no sensor until the host gives the room a level
        self._jump_ms = 0
        self._jumps = self._read_jumps()
        c = _env("ONTSPAN_SIM_RTC", "")
        self._rtc = None
        if c:  # only then: the model's and rtc.py's names would cost the Pico-sized heap
            import hal_simrtc

            self._rtc = hal_simrtc.Clock(state, c, self.speed)
        self.trace.write("R %d boot" % self.clock.ticks_ms())

    @staticmethod
    def mount_flash():
        """Mount the littlefs image at /flash (formatting a new one) before config is read."""
        bdev = FileBlockDev(_env("ONTSPAN_SIM_STATE", ".") + "/flash.img")
        try:
            fs = vfs.VfsLfs2(bdev)  # type: ignore[arg-type]  # duck-typed block device
        except OSError:
            vfs.VfsLfs2.mkfs(bdev)  # type: ignore[arg-type]
            fs = vfs.VfsLfs2(bdev)  # type: ignore[arg-type]  # duck-typed block device
        vfs.mount(fs, "/flash")

    def device_id(self):
        return self._id

    def light(self):
        return self._light

    def apply(self, cfg):
        """Take a new config at once; True when the ring was replaced (LED count)."""
        self.motor.set_cap(cfg["motor_cap"])
        if cfg["ring_leds"] == self.ring.n:
            return False
        self.ring.off()
        self.ring = Ring(cfg["ring_leds"], cfg["day_cap"], self)
        return True

    def host_waiting(self):
        """Bytes from the host wait on stdin (the app loads its link room)."""
        for obj, _ in self._poll.ipoll(0):
            if obj is not self._ctl:
                return True
        return False

    def idle(self, ms, wake=True):
        """Sleep up to ms of device time, waking on serial bytes or a control line
        (or, not wake, on neither: the loop holds a request back until after a frame).
        While a gesture's level is held the clock stands still but for these sleeps,
        each let pass in full unless a byte woke it (then the time waited)."""
        if self._jump_ms:
            self._jump_step(ms, wake)
            return
        clock = self.clock
        step = self.button.step_ms(ms)
        if step < 0:
            if clock.frozen:
                clock.thaw()
            self._wait(ms, wake)
            return
        if not clock.frozen:
            clock.freeze()
        t = time.ticks_us()
        if self._wait(step, wake):
            waited = time.ticks_diff(time.ticks_us(), t) * self.speed // 1000
            if waited < step:
                step = waited
        clock.advance(step)

    def _wait(self, ms, wake=True):
        """Wait ms of device time in real time; True when input woke it early.
        A sleep that would round to 0 real ms is 1 ms when idle (ms >= _IDLE_FLOOR_MS)
        so an idle fast sim does not spin, and a short one in sub-ms steps while cues run."""
        real_us = ms * 1000 // self.speed
        if not wake:
            time.sleep_us(real_us)
            return False
        if real_us >= 1000 or ms >= _IDLE_FLOOR_MS:
            wait = real_us // 1000 or 1
        else:
            wait = 0
        for obj, _ in self._poll.ipoll(wait):
            if obj is self._ctl:
                self._read_control()
            return True
        if not wait and real_us:
            time.sleep_us(real_us)
        return False

    def _fault(self):
        self.trace.write("X %d fault" % self.clock.ticks_ms())  # where it struck (tests read after it)
        raise RuntimeError("injected fault")  # sim only: the app's exception path

    def _read_control(self):
        ctl = self._ctl
        if ctl is None or ctl.readinto(self._ctl_buf) != 1:
            return
        c = self._ctl_buf[0]
        if c == 10:
            line = self._ctl_line.decode()
            self._ctl_line = bytearray()
            self._control(line)
        else:
            self._ctl_line.append(c)

    def _control(self, line):
        word, _, arg = line.partition(" ")
        if word == "fault":
            self._fault()
        elif word == "light" or word == "jump":
            try:
                n = int(arg)
            except ValueError:
                return
            if word == "light":
                self._light = n if 0 <= n <= 65535 else -1
                self.trace.write("L %d %d" % (self.clock.ticks_ms(), self._light))
            elif n > 0:
                self.trace.write("J %d %d" % (self.clock.ticks_ms(), n))
                if self._rtc:
                    self._rtc.jump(n)
                self.clock.freeze()
                self._jump_ms = n * 1000
        else:
            self.button.inject(line)

    def _jump_step(self, ms, wake=True):
        """One sleep of a jump: the device time it would take passes at once."""
        for obj, _ in self._poll.ipoll(0) if wake else ():
            if obj is not self._ctl:
                return  # the host spoke: answer it first, at this device time
        held = self.button.step_ms(ms)
        if held >= 0:
            step = held  # a gesture's level: up to its next edge
        elif ms != _IDLE_FLOOR_MS or not self.motor.quiet() or self.button.busy():
            step = ms  # cues, a blink, a motor pattern or a waiting gesture: exactly as asked
        elif any(self.ring.out):
            step = _JUMP_LIT_MS
        else:
            step = _JUMP_DARK_MS
        if step > self._jump_ms:
            step = self._jump_ms
        self.clock.advance(step)
        self._jump_ms -= step
        if not self._jump_ms:
            if self.button.step_ms(step) < 0:
                self.clock.thaw()  # (else a gesture's level still paces it)
            self._jumps += 1
            self.trace.write("J %d done" % self.clock.ticks_ms())
            if self._rtc:
                self._rtc.jump(0)
            try:
                with open(self._state + "/jumps", "w") as f:
                    f.write("%d\n" % self._jumps)
            except OSError:
                pass

    def _read_jumps(self):
        try:
            with open(self._state + "/jumps") as f:
                return int(f.read())
        except (OSError, ValueError):
            return 0

    def rtc(self, a, r, buf, write=False):
        """The clock module on I2C at address a: registers from r read into buf, or
        written from it; False when none answers (hal_simrtc.py)."""
        m = self._rtc
        if m is None or not m.rtc(a, r, buf, write):
            return False
        if write:
            self.trace.write("C %d rtc %s" % (self.clock.ticks_ms(), bytes(buf).hex()))
        return True

    def edge(self, kind, block, group, late_ms):
        self.trace.write("E %d %d %d %d %d" % (self.clock.ticks_ms(), kind, block, group, late_ms))

    def draw(self):
        """Ring as coloured cells and a motor bar on one terminal line, at most 30 times/s."""
        if not self._draw:
            return
        now = time.ticks_us()
        if time.ticks_diff(now, self._drawn_us) < 33000:
            return
        self._drawn_us = now
        sys.stderr.write("\r  %s  " % ring_text(self.ring.out, self.ring.n, self.motor.level))

    def reset(self, mode=0):
        self.trace.write("R %d reset" % self.clock.ticks_ms())
        sys.exit(0)  # the launcher starts the firmware again, as a reboot would

    def deinit(self):
        """Motor off, ring dark, control FIFO let go: every way out of the app passes here."""
        self.motor.off()
        self.ring.off()
        self.status.value(0)
        if self._ctl is not None:
            try:
                self._poll.unregister(self._ctl)
                self._ctl.close()
            except OSError:
                pass
            self._ctl = None
        if self._draw:
            sys.stderr.write("\x1b[0m\n")
