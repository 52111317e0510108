"""`ontspan sim`: run a virtual Pico until Ctrl-C or SIGTERM.

The simulator needs a POSIX pseudo-terminal (termios, pty, fcntl). They are
imported only when `sim` runs, so every other command works on Windows too.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
from typing import TYPE_CHECKING

from ..errors import OntspanError

if TYPE_CHECKING:
    from ..sim.device import SimDevice

KEYS = {"t": "tap", "d": "double", "h": "hold"}
JUMP_KEY_S = 600  # "j": ten minutes of device time at once


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sim",
        help="run a simulated device on a pseudo-terminal",
        description="Start the real firmware under MicroPython on a pseudo-terminal. "
        "The first line of output is the serial device path; point the other commands "
        "at it with --port or ONTSPAN_PORT. Keys (interactive): t tap, d double tap, "
        "h hold, j ten minutes later (time passes at once), q quit.",
    )
    p.add_argument("--speed", type=int, default=1, help="time scale, e.g. 60 plays 20 min in 20 s")
    p.add_argument("--state", metavar="DIR", help="keep the device's flash here (default: temporary)")
    p.add_argument("--headless", action="store_true", help="no terminal drawing or key input")
    p.add_argument("--trace", action="store_true", help="record frames, motor and cues in DIR/trace.log")
    p.add_argument(
        "--light", type=int, metavar="N",
        help="give the device a light sensor reading N (0..65535) for the room: dark < 2000",
    )
    p.add_argument(
        "--rtc", choices=("ds3231", "pcf8563"), default="",
        help="give the device a battery-backed clock module (its time is kept in the state "
        "directory, so it survives a stop and start as a power cut); the device uses it once "
        "`ontspan config set rtc=1` (DS3231) or rtc=2 (PCF8563)",
    )
    p.add_argument(
        "--rtc-battery-lost", action="store_true",
        help="the clock module's battery ran out while the device was off: it has lost the time",
    )
    p.add_argument(
        "--from-flash",
        action="store_true",
        help="boot the firmware installed on the sim's flash (`ontspan install`), as a Pico would",
    )
    p.add_argument(
        "--romfs",
        type=int,
        default=0,
        metavar="KIB",
        help="with --from-flash: give the device a ROMFS partition of this size, as a Pico "
        "built with MICROPY_HW_ROMFS_BYTES has (`ontspan install` then deploys the modules there)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..sim.device import SimDevice
    except ImportError as e:
        raise OntspanError(
            f"the simulated device needs a POSIX system (Linux or macOS): {e.name} is not available here"
        ) from None
    interactive = not args.headless and sys.stdin.isatty() and sys.stderr.isatty()
    dev = SimDevice(
        args.state,
        speed=args.speed,
        trace=args.trace,
        draw=interactive,
        boot_from_flash=args.from_flash,
        romfs_bytes=args.romfs * 1024,
        rtc=args.rtc,
        rtc_battery_lost=args.rtc_battery_lost,
    )
    if args.light is not None and not 0 <= args.light <= 65535:
        raise OntspanError(f"--light must be 0..65535, not {args.light}")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    dev.start()
    try:
        if args.light is not None:
            dev.set_light(args.light)
        print(dev.port, flush=True)
        if interactive:
            print(f"state in {dev.state}; keys: t tap, d double tap, h hold, "
                  "j ten minutes later, q quit", file=sys.stderr)
            _keys(dev, stopping)
        else:
            while not stopping:
                select.select([], [], [], 0.2)
    except KeyboardInterrupt:
        pass
    finally:
        dev.stop()
    return 0


def _keys(dev: SimDevice, stopping: list[int]) -> None:
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        while not stopping:
            if select.select([fd], [], [], 0.2)[0]:
                key = os.read(fd, 1).decode(errors="ignore").lower()
                if key == "q":
                    break
                if key in KEYS:
                    dev.inject(KEYS[key])
                elif key == "j":
                    dev.jump(JUMP_KEY_S, wait=False)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
