"""Heap on the emulated Pico after many sessions and many reflashes: a fragmenting or
leaking firmware shows here first. Both run over one link (the host library the CLI
uses), so the count is the device's, not the CLI's start-up."""

import time

from ontspan.device.client import Link
from ontspan.protocols.compiler import compile_table
from ontspan.shared import C

from .common import library

# At idle the host's rooms (upload, validator) go once the host has been quiet 5 s
# (firmware/app.py), and INFO re-measures the heap when its figure is older than 2 s:
# the figure is the idle device's, as a patient's night has it.
MEASURE_S = 6.0


def _wait_busy(lk: Link, busy: bool, timeout: float = 60) -> None:
    """Until a session is on (playing, or waiting for its first rating) or, not busy, idle."""
    end = time.monotonic() + timeout
    while (lk.status().state != C.STATE_IDLE) != busy:
        if time.monotonic() > end:
            raise SystemExit(f"bench pico: the device was not {'busy' if busy else 'idle'} within {timeout} s")
        time.sleep(0.05)


def _heap_used(lk: Link) -> int:
    time.sleep(MEASURE_S)
    return int(lk.info()["heap"]["used"])


def _session(lk: Link, pid: int) -> None:
    lk.start(pid)
    _wait_busy(lk, True)
    lk.stop()
    _wait_busy(lk, False)


def heap_after_rounds(tty: str, rounds: int, protocol: str) -> tuple[int, int, int]:
    """(heap in use at idle before, after `rounds` sessions of `protocol` started and
    stopped (a START and an END record each), after `rounds` reflashes). "Before" is
    after one of each: the names the rooms' code interns stay (qstrs are never freed)."""
    protos = library()
    table = compile_table(protos)
    pid = next(p.id for p in protos if p.name == protocol)
    with Link(tty) as lk:
        lk.hello()
        _session(lk, pid)
        lk.put_table(table)
        before = _heap_used(lk)
        for _ in range(rounds):
            _session(lk, pid)
        sessions = _heap_used(lk)
        for _ in range(rounds):
            lk.put_table(table)
        return before, sessions, _heap_used(lk)
