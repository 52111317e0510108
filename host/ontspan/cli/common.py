"""What every device command shares: finding and greeting the device, the common
options, printing.

Every command finds its port the same way (--port, $ONTSPAN_PORT, the one Pico
plugged in), greets the device with HELLO before anything else (so a wrong
firmware or link version fails with one line, not a timeout), and can dump the
wire bytes with --trace.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..device.client import Link
from ..device.live import open_link
from ..device.ports import ENV_PORT
from ..device.replies import FLAG_NAMES, firmware_is_older
from ..shared import C


def _common(p: argparse.ArgumentParser, *, json_out: bool = False) -> None:
    p.add_argument(
        "--port", metavar="PATH", help=f"serial port (default: ${ENV_PORT}, else the Pico found)"
    )
    p.add_argument(
        "--trace", action="store_true", help="hex dump of every byte on the wire (stderr)"
    )
    if json_out:
        p.add_argument("--json", action="store_true", help="machine-readable output")


def connect(args: argparse.Namespace) -> Link:
    """An open link to a device that answered HELLO with a compatible link version."""
    lk = open_link(args.port, trace=bool(getattr(args, "trace", False)))
    assert lk.device is not None
    h = lk.device
    if firmware_is_older(h):
        from ..firmware.contract import FIRMWARE_VERSION

        print(
            f"ontspan: the device runs Ontspan firmware {h.firmware}, older than this "
            f"ontspan ({FIRMWARE_VERSION}); `ontspan install` updates it",
            file=sys.stderr,
        )
    return lk


def _label(p: dict[str, Any]) -> str:
    return f"{p['name']} (id {p['id']})" if p.get("name") else f"id {p['id']}"


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False))



def flag_names(flags: int) -> str:
    on = [name for bit, name in FLAG_NAMES.items() if flags & bit]
    return ", ".join(on) if on else "no flags"


def reminders_wait(flags: int) -> bool:
    """A plan is stored but the clock is not set (after a power cut): its reminders
    wait for the next clock sync (docs/plans.md, Time on the device)."""
    return bool(flags & C.FLAG_PLAN) and not flags & C.FLAG_CLOCK


WAIT_TEXT = "plan reminders wait for the clock (ontspan clock --set)"
