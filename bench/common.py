"""Helpers shared by the benchmark suites."""

import statistics
from pathlib import Path

from ontspan.mpy import HEAPSIZE as PICO_FREE_HEAP  # noqa: F401  (the sim's and the tests' heap)

REPO = Path(__file__).resolve().parents[1]  # the checkout: bench/ runs from it, never installed


class PortProxy:
    """A pyserial port passed through, for benches that count what goes over it."""

    def __init__(self, ser):
        self._ser = ser

    def __getattr__(self, name):
        return getattr(self._ser, name)

    @property
    def timeout(self):
        return self._ser.timeout

    @property
    def in_waiting(self) -> int:
        return self._ser.in_waiting


def metric(name: str, value, unit: str, goal: str = "", ok: bool | None = None) -> dict:
    m = {"name": name, "value": value, "unit": unit}
    if goal:
        m["goal"] = goal
    if ok is not None:
        m["ok"] = bool(ok)
    return m


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


# --- shared by the suites that play protocols or talk to a simulated device ---

PERIOD = 0x40000000  # the Pico's ticks wrap at 2^30 (the sim keeps that period)


def ticks_diff(a: int, b: int) -> int:
    d = (a - b) & (PERIOD - 1)
    return d - PERIOD if d >= PERIOD // 2 else d


def library():
    """The protocols/ library, checked: list of Protocol, sorted by id as in the table."""
    from ontspan.paths import PROTOCOLS_DIR
    from ontspan.protocols.files import check_paths

    protos, diags = check_paths([PROTOCOLS_DIR])
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise SystemExit(f"protocols/ does not check: {errors[0]}")
    return sorted(protos, key=lambda p: p.id)


def by_name(protos, name: str):
    return next(p for p in protos if p.name == name)


def sim_link(sim, timeout: float = 30.0):
    """A Link to a started SimDevice once its firmware answers HELLO (it first plays
    its boot animation); SystemExit if it never does."""
    from ontspan.device.client import Link
    from ontspan.errors import OntspanError
    from ontspan.sim.device import poll_until

    def answered():
        try:
            lk = Link(sim.port)
        except OntspanError:
            return None
        try:
            lk.hello(retries=1)
            return lk
        except OntspanError:
            lk.close()
            return None

    lk = poll_until(answered, timeout, interval=0.1)
    if lk is None:
        raise SystemExit(f"bench: the simulated device did not answer HELLO within {timeout} s")
    return lk


def edge_lines(lines: list[str]) -> list[tuple[int, int, int, int, int]]:
    """E trace lines (cue edges the engine handled) as (ticks, kind, block, group, late_ms)."""
    out = []
    for ln in lines:
        parts = ln.split()
        if len(parts) == 6 and parts[0] == "E":
            ticks, kind, block, group, late = (int(x) for x in parts[1:])
            out.append((ticks, kind, block, group, late))
    return out
