"""Helpers shared by the benchmark suites."""

import statistics


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
    from ontspan.paths import REPO
    from ontspan.protocols.files import check_paths

    protos, diags = check_paths([REPO / "protocols"])
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise SystemExit(f"protocols/ does not check: {errors[0]}")
    return sorted(protos, key=lambda p: p.id)


def by_name(protos, name: str):
    return next(p for p in protos if p.name == name)
