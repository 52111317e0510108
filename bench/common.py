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
