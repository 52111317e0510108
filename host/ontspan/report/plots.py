"""The report's charts: matplotlib (Agg) PNGs as base64, dates on every time axis.

Whole-number ticks for counts, a day without practice visible as a gap, and a
one-day period drawn as a day (not stretched across the axis).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections import Counter
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, MaxNLocator, MultipleLocator  # noqa: E402

from ..archive.sessions import Session  # noqa: E402
from .text import Words  # noqa: E402

OUTCOME_COLOURS = {
    "COMPLETED": "#9bbb59", "STOPPED": "#f79646", "PAUSED_TOO_LONG": "#e6b800",
    "POWER_CUT": "#7f7f7f", "FAULT": "#c0504d",
}


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _date_axis(ax: Axes, first: dt.date, last: dt.date, w: Words) -> None:
    # half a day of margin each side: one day reads as one day, gaps as gaps
    lo = mdates.date2num(dt.datetime.combine(first, dt.time()) - dt.timedelta(hours=12))
    hi = mdates.date2num(dt.datetime.combine(last, dt.time()) + dt.timedelta(hours=36))
    ax.set_xlim(lo, hi)
    days = (last - first).days + 1
    step = max(1, -(-days // 10))  # at most ~10 labels
    # labels sit at noon, in the middle of their day, where that day's marks are
    ax.xaxis.set_major_locator(FixedLocator(
        [_noon(first + dt.timedelta(days=i)) for i in range(0, days, step)]))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d-%m" if w.lang == "nl" else "%b %d"))
    ax.tick_params(axis="x", labelrotation=45)


def _int_y(ax: Axes) -> None:
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def _noon(d: dt.date) -> float:
    return float(mdates.date2num(dt.datetime.combine(d, dt.time(12))))


def _day_x(t: dt.datetime | None) -> float:
    # inside its own day's column: noon +- 0.3 day by the time of day
    assert t is not None  # callers keep dated sessions only
    hours = t.hour + t.minute / 60
    return _noon(t.date()) + (hours - 12) / 24 * 0.6


def adherence(done: Sequence[Session], first: dt.date | None, last: dt.date | None,
              per_day: int, w: Words) -> str | None:
    if first is None or last is None:
        return None
    counts = Counter(x.start.date() for x in done if x.start)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    fig, ax = plt.subplots(figsize=(8, 2.8))
    ax.bar([_noon(d) for d in days], [counts.get(d, 0) for d in days], width=0.7,
           color="#6a8caf", label=w("ax_sessions"))
    ax.axhline(per_day, color="#c0504d", linestyle="--", label=w("ax_plan"))
    _date_axis(ax, first, last, w)
    _int_y(ax)
    ax.set_ylim(0, max([per_day, *counts.values()]) + 0.5)
    ax.set_ylabel(w("ax_sessions"))
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)


def tension(done: Sequence[Session], first: dt.date | None, last: dt.date | None,
            w: Words) -> str | None:
    rows = [x for x in done if x.start and (x.before is not None or x.after is not None)]
    if not rows or first is None or last is None:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for x in rows:
        t = _day_x(x.start)
        if x.before is not None and x.after is not None:
            ax.plot([t, t], [x.before, x.after], color="#bbbbbb", linewidth=2, zorder=1)
    for attr, colour, key in (("before", "#c0504d", "ax_before"), ("after", "#4f81bd", "ax_after")):
        pts = [(_day_x(x.start), getattr(x, attr)) for x in rows
               if getattr(x, attr) is not None]
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=colour, label=w(key),
                       zorder=2)
    _date_axis(ax, first, last, w)
    ax.set_ylim(-0.5, 10.5)
    ax.yaxis.set_major_locator(MultipleLocator(2))
    ax.set_ylabel(w("ax_tension"))
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)


def time_of_day(done: Sequence[Session], w: Words) -> str | None:
    hours = [x.start.hour + x.start.minute / 60 for x in done if x.start]
    if not hours:
        return None
    fig, ax = plt.subplots(figsize=(8, 2.4))
    ax.hist(hours, bins=range(25), color="#8064a2")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    _int_y(ax)
    ax.set_xlabel(w("ax_hour"))
    ax.set_ylabel(w("ax_sessions"))
    return _png(fig)


def duration(done: Sequence[Session], first: dt.date | None, last: dt.date | None,
             w: Words) -> str | None:
    rows = [x for x in done if x.start]
    if not rows or first is None or last is None:
        return None
    fig, ax = plt.subplots(figsize=(8, 2.6))
    seen = set()
    for x in rows:
        t = _day_x(x.start)
        label = None if x.outcome in seen else w.outcome(x.outcome)
        seen.add(x.outcome)
        ax.bar(t, (x.actual_s or 0) / 60, width=0.2,
               color=OUTCOME_COLOURS.get(x.outcome, "#999999"), label=label)
    ax.plot([_day_x(x.start) for x in rows], [x.planned_s / 60 for x in rows], "k_",
            markersize=12, label=w("ax_planned"))
    _date_axis(ax, first, last, w)
    _int_y(ax)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(w("ax_minutes"))
    ax.legend(loc="upper left", fontsize=8, ncol=3, bbox_to_anchor=(0, -0.35))
    return _png(fig)
