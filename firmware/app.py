# The device application: boot, load, loop. One skeleton with a global
# exception handler that leaves the motor off and the ring dark.
import sys

import config
import gestures
import hal
from micropython import const

FIRMWARE_VERSION = "0.1.0"

_FRAME_MS = const(20)  # 50 frames/s while something moves
_BOOT_MS = const(1200)


class Device:
    def __init__(self):
        hal.prepare()
        self.root = hal.FS_ROOT
        self.cfg, self.cfg_ok = config.load(self.root)
        self.board = hal.board(self.cfg)
        self.clock = self.board.clock

    def boot_animation(self):
        """A warm dot runs once around the ring and fades: 'I am alive', never startling."""
        ring = self.board.ring
        clock = self.clock
        buf = ring.buf
        n = ring.n
        t0 = clock.ticks_ms()
        while True:
            e = clock.ticks_diff(clock.ticks_ms(), t0)
            if e >= _BOOT_MS:
                break
            pos = e * n // _BOOT_MS
            level = 255 - e * 255 // _BOOT_MS
            for i in range(n):
                j = 3 * i
                on = level if i == pos else 0
                buf[j] = on
                buf[j + 1] = on * 2 // 5
                buf[j + 2] = 0
            ring.show()
            self.board.idle(_FRAME_MS)
        ring.off()

    def signal_bad_config(self):
        """Three slow blinks of the on-board LED: the config was bad, defaults are in use."""
        status = self.board.status
        for _ in range(3):
            status.set(True)
            self.board.idle(250)
            status.set(False)
            self.board.idle(250)

    def loop(self):
        board = self.board
        while True:
            ev = board.button.poll()
            if ev == gestures.HOLD:
                board.ring.off()
            board.motor.service()
            board.idle(_FRAME_MS)


def boot():
    """Everything up to the idle loop, without the animation (the bench times this)."""
    return Device()


def run():
    dev = None
    try:
        dev = boot()
        if not dev.cfg_ok:
            dev.signal_bad_config()
        dev.boot_animation()
        dev.loop()
    except KeyboardInterrupt:
        if dev:
            dev.board.deinit()
        raise  # Ctrl-C from the host: leave the cues dark and give the REPL
    except Exception as e:
        if dev:
            dev.board.deinit()
        sys.print_exception(e)  # type: ignore[attr-defined]  # MicroPython only
        raise
