"""`make demo`: the whole product on the simulated device, start to finish, by itself."""

import argparse
import sys
import time

from .sim import SimDevice


def say(msg: str) -> None:
    print(f"\n== {msg}", flush=True)


def wait_trace(dev: SimDevice, prefix: str, timeout: float = 20.0) -> list[str]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        lines = [ln for ln in dev.trace_lines() if ln.startswith(prefix)]
        if lines:
            return lines
        time.sleep(0.05)
    raise SystemExit(f"demo: the sim device showed no {prefix!r} in {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--speed", type=int, default=60)
    args = ap.parse_args(argv)
    draw = sys.stderr.isatty()
    say("booting the simulated device (real firmware on MicroPython, on a pseudo-terminal)")
    with SimDevice(speed=args.speed, trace=True, draw=draw) as dev:
        print(f"serial port: {dev.port}")
        frames = wait_trace(dev, "F ")
        time.sleep(1200 / 1000 / args.speed + 0.3)
        say("pressing the button (tap)")
        dev.inject("tap")
        gesture = wait_trace(dev, "G ")
        frames = [ln for ln in dev.trace_lines() if ln.startswith("F ")]
        print(f"\nboot animation: {len(frames)} LED frames; button event seen: {gesture[0]}")
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
