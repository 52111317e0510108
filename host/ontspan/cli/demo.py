"""`make demo`: the whole product on the simulated device, start to finish, by itself.

Check and compile the standard library, flash it over the link into a fresh
simulated device, show `info`, start a protocol remotely, let the patient rate
their tension before and after with button presses, pull the practice log into
a fresh archive and write the therapist's report. Every step goes through the
real CLI and the real firmware.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

from ..device.client import Link
from ..errors import OntspanError
from ..paths import PROTOCOLS_DIR
from ..shared import C
from ..sim.device import SimDevice, poll_until
from . import main as cli

DEMO_PROTOCOL = "pmr-zittend"  # six seated groups, rated before and after


def say(msg: str) -> None:
    print(f"\n== {msg}", flush=True)


def run_cli(*argv: str) -> None:
    print("$ ontspan " + " ".join(argv), flush=True)
    code = cli.main(list(argv))
    if code:
        raise OntspanError(f"demo: `ontspan {' '.join(argv)}` failed with exit code {code}")


def wait_state(lk: Link, state: int, timeout: float) -> None:
    if not poll_until(lambda: lk.status().state == state, timeout):
        raise OntspanError(f"demo: the device did not reach state {state} in {timeout:.0f} s")


def rate(dev: SimDevice, lk: Link, value: int, when: str) -> None:
    """Tap `value` times and hold to confirm, as the patient would in the dark."""
    wait_state(lk, C.STATE_RATING, 30)  # the ring shows the 0-10 scale
    print(f"   the ring shows the 0-10 scale ({when}); the patient taps {value}x and holds")
    for _ in range(value):
        dev.inject("tap")
    dev.inject("hold")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--speed", type=int, default=60, help="sim time scale (default 60)")
    ap.add_argument("--out", default="demo-out", help="archive and report go here (default: ./demo-out)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.environ["ONTSPAN_DATA"] = str(out / "data")  # this demo's device names stay in demo-out/
    draw = sys.stderr.isatty()
    try:
        say("checking the standard protocol library")
        run_cli("check", str(PROTOCOLS_DIR))

        say(f"booting a fresh simulated device at {args.speed}x speed")
        with SimDevice(out / "device", speed=args.speed, trace=True, draw=draw) as dev:
            port = dev.port
            print(f"serial port: {port} (real firmware on MicroPython, littlefs flash in {dev.state})")
            say("flashing the library over the link")
            run_cli("flash", "--port", port, str(PROTOCOLS_DIR))
            say("what is on the device")
            run_cli("info", "--port", port)

            say(f"starting {DEMO_PROTOCOL} remotely; the ring and motor play it")
            run_cli("start", "--port", port, DEMO_PROTOCOL)
            with Link(port) as lk:
                lk.hello()
                rate(dev, lk, 7, "before")
                wait_state(lk, 1, 30)
                planned = lk.status().remaining_s
                print(f"   playing: {planned // 60} min {planned % 60} s of cues at {args.speed}x")
                rate(dev, lk, 3, "after")
                wait_state(lk, 0, 30)
            if draw:
                print(file=sys.stderr)
            edges = [ln for ln in dev.trace_lines() if ln.startswith("E ")]
            late = [int(ln.split()[5]) for ln in edges]
            print(f"   {len(edges)} cue edges played, latest handled {max(late, default=0)} ms late")

            say("pulling the practice log into a fresh archive")
            db = str(out / "archive.db")
            run_cli("logs", "pull", "--port", port, "--db", db)
        say("the therapist's report")
        report = out / "report.html"
        run_cli("report", "--db", db, "-o", str(report))
        say(f"done: open {report}")
    except OntspanError as e:
        print(f"ontspan: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
