"""Practice report for the therapist: one self-contained HTML file, plus a terminal summary.

Numbers come from `summarize()`; plots are matplotlib (Agg) PNGs embedded as
base64, so the file can be mailed or archived on its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .archive import Session  # noqa: E402
from .errors import InputError  # noqa: E402

PLANS = {"daily": 1, "twice-daily": 2}
TRIAL_SESSIONS = 4  # a trial treatment is about four sessions
_ENDED = ("COMPLETED", "STOPPED", "POWER_CUT", "FAULT")


@dataclass
class ProtocolSummary:
    name: str
    sessions: int
    completed: int
    mean_minutes: float | None
    mean_drop: float | None


@dataclass
class Summary:
    sessions: int  # sessions with an outcome (END pulled)
    completed: int
    first_day: dt.date | None
    last_day: dt.date | None
    days: int  # calendar days from first to last session
    plan_per_day: int
    planned: int  # days * plan_per_day
    adherence: float | None  # share of planned sessions done (at most plan per day count)
    completion_rate: float | None
    rated: int  # sessions with tension before and after
    mean_before: float | None
    mean_after: float | None
    mean_drop: float | None
    trend_before: float | None  # change of tension-before per session (least squares)
    trial_n: int  # sessions in the trial window that had both ratings
    trial_size: int
    trial_mean_drop: float | None
    trial_dropped: int  # trial sessions where tension went down
    undated: int  # sessions whose start time is unknown
    protocols: list[ProtocolSummary] = field(default_factory=list)


def _mean(xs: Sequence[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


def _slope(ys: Sequence[float]) -> float | None:
    if len(ys) < 2:
        return None
    xs = list(range(len(ys)))
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den


def _ordered(sessions: Sequence[Session]) -> list[Session]:
    # by start time where known, else by seq (the device's own order)
    return sorted(sessions, key=lambda s: (s.device_id, s.seq))


def summarize(sessions: Sequence[Session], plan: str = "daily",
              trial_size: int = TRIAL_SESSIONS) -> Summary:
    """The numbers of the report."""
    if plan not in PLANS:
        raise InputError(f"unknown plan {plan!r} (daily or twice-daily)")
    per_day = PLANS[plan]
    done = [s for s in _ordered(sessions) if s.outcome in _ENDED]
    days_seen = [s.start.date() for s in done if s.start]
    first = min(days_seen) if days_seen else None
    last = max(days_seen) if days_seen else None
    ndays = (last - first).days + 1 if first and last else 0
    counts = Counter(days_seen)
    credited = sum(min(c, per_day) for c in counts.values())
    completed = sum(1 for s in done if s.outcome == "COMPLETED")
    rated = [s for s in done if s.drop is not None]
    drops = [float(s.drop) for s in rated if s.drop is not None]
    trial = [s for s in done[:trial_size] if s.drop is not None]
    trial_drops = [float(s.drop) for s in trial if s.drop is not None]
    befores = [float(s.before) for s in done if s.before is not None]

    by_proto: dict[str, list[Session]] = defaultdict(list)
    for s in done:
        by_proto[protocol_label(s)].append(s)
    protos = []
    for name, ss in sorted(by_proto.items()):
        mins = [s.actual_s / 60 for s in ss if s.actual_s is not None]
        pd = [float(s.drop) for s in ss if s.drop is not None]
        protos.append(ProtocolSummary(
            name, len(ss), sum(1 for s in ss if s.outcome == "COMPLETED"), _mean(mins), _mean(pd)))

    return Summary(
        sessions=len(done), completed=completed, first_day=first, last_day=last, days=ndays,
        plan_per_day=per_day, planned=ndays * per_day,
        adherence=credited / (ndays * per_day) if ndays else None,
        completion_rate=completed / len(done) if done else None,
        rated=len(rated),
        mean_before=_mean([float(s.before) for s in rated if s.before is not None]),
        mean_after=_mean([float(s.after) for s in rated if s.after is not None]),
        mean_drop=_mean(drops), trend_before=_slope(befores),
        trial_n=len(trial), trial_size=trial_size, trial_mean_drop=_mean(trial_drops),
        trial_dropped=sum(1 for d in trial_drops if d > 0),
        undated=sum(1 for s in done if s.start is None), protocols=protos,
    )


def protocol_label(s: Session) -> str:
    return s.protocol_name or f"protocol {s.protocol}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if x is None else fmt.format(x)


def terminal_summary(s: Summary) -> str:
    """A few lines for the terminal."""
    lines = [
        f"sessions: {s.sessions} ({s.completed} completed, completion {_pct(s.completion_rate)})",
    ]
    if s.days:
        lines.append(
            f"period: {s.first_day} .. {s.last_day}, {s.days} days; plan {s.plan_per_day}/day, "
            f"adherence {_pct(s.adherence)}"
        )
    lines.append(
        f"tension (0-10): before {_num(s.mean_before)}, after {_num(s.mean_after)}, "
        f"mean drop {_num(s.mean_drop)} over {s.rated} rated sessions"
    )
    lines.append(
        f"trial (first {s.trial_size} sessions): {s.trial_dropped} of {s.trial_n} rated "
        f"showed a drop, mean drop {_num(s.trial_mean_drop)}"
    )
    if s.undated:
        lines.append(f"{s.undated} session(s) without a known date (device clock not set)")
    return "\n".join(lines)


# -- plots


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plot_adherence(done: list[Session], s: Summary) -> str | None:
    if not s.days or s.first_day is None:
        return None
    days = [s.first_day + dt.timedelta(days=i) for i in range(s.days)]
    counts = Counter(x.start.date() for x in done if x.start)
    fig, ax = plt.subplots(figsize=(8, 2.8))
    from matplotlib.dates import date2num

    ax.bar(date2num(days), [counts.get(d, 0) for d in days], color="#6a8caf", label="sessions")
    ax.xaxis_date()
    ax.axhline(s.plan_per_day, color="#c0504d", linestyle="--", label="plan")
    ax.set_ylabel("sessions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max([s.plan_per_day, *counts.values()]) + 0.5)
    ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    return _png(fig)


def _plot_time_of_day(done: list[Session]) -> str | None:
    hours = [x.start.hour + x.start.minute / 60 for x in done if x.start]
    if not hours:
        return None
    fig, ax = plt.subplots(figsize=(8, 2.4))
    ax.hist(hours, bins=range(25), color="#8064a2")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel("hour of the day")
    ax.set_ylabel("sessions")
    return _png(fig)


def _plot_duration(done: list[Session]) -> str | None:
    if not done:
        return None
    idx = list(range(1, len(done) + 1))
    fig, ax = plt.subplots(figsize=(8, 2.6))
    actual = [(x.actual_s or 0) / 60 for x in done]
    colours = ["#9bbb59" if x.outcome == "COMPLETED" else "#f79646" for x in done]
    ax.bar(idx, actual, color=colours, label="played")
    ax.plot(idx, [x.planned_s / 60 for x in done], "k_", markersize=12, label="planned")
    ax.set_xlabel("session (green: completed, orange: stopped or interrupted)")
    ax.set_ylabel("minutes")
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)


def _plot_tension(done: list[Session]) -> str | None:
    rows = [(i + 1, x) for i, x in enumerate(done) if x.before is not None or x.after is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.2))
    xb = [i for i, x in rows if x.before is not None]
    yb = [x.before for _, x in rows if x.before is not None]
    xa = [i for i, x in rows if x.after is not None]
    ya = [x.after for _, x in rows if x.after is not None]
    for i, x in rows:
        if x.before is not None and x.after is not None:
            ax.plot([i, i], [x.before, x.after], color="#bbbbbb", linewidth=2, zorder=1)
    ax.scatter(xb, yb, color="#c0504d", label="before", zorder=2)
    ax.scatter(xa, ya, color="#4f81bd", label="after", zorder=2)
    for xs, ys, colour in ((xb, yb, "#c0504d"), (xa, ya, "#4f81bd")):
        if len(xs) >= 2:
            m = _slope([float(v) for v in ys])
            if m is not None:
                my, mx = statistics.fmean(ys), statistics.fmean(range(len(ys)))
                ax.plot(xs, [my + m * (k - mx) for k in range(len(ys))], color=colour,
                        linestyle=":", linewidth=1)
    ax.set_ylim(-0.5, 10.5)
    ax.set_xlabel("session")
    ax.set_ylabel("tension (0 = none, 10 = very high)")
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)


# -- HTML

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 860px; margin: 2em auto; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
p.note { color: #555; font-size: 0.92em; }
table { border-collapse: collapse; } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; }
th { text-align: left; } td.n { text-align: right; }
.key { font-size: 1.1em; background: #f4f6f8; padding: 0.8em 1em; border-radius: 6px; }
"""


def _img(b64: str | None, alt: str) -> str:
    if b64 is None:
        return "<p class='note'>No data for this chart.</p>"
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{b64}'>"


def build_html(sessions: Sequence[Session], plan: str = "daily",
               trial_size: int = TRIAL_SESSIONS, title: str | None = None,
               plan_html: str = "") -> str:
    """The whole report as one HTML document."""
    s = summarize(sessions, plan, trial_size)
    done = [x for x in _ordered(sessions) if x.outcome in _ENDED]
    devices = sorted({x.label or x.device_id for x in sessions})
    e = html.escape
    title = title or "Ontspan practice report"
    trial_text = (
        f"In the first {s.trial_size} sessions, {s.trial_dropped} of the {s.trial_n} sessions "
        f"that were rated before and after showed a drop in tension"
        + (f"; the mean drop was {_num(s.trial_mean_drop)} points." if s.trial_n else ".")
    )
    trend = ""
    if s.trend_before is not None:
        direction = "going down" if s.trend_before < -0.02 else (
            "going up" if s.trend_before > 0.02 else "about level")
        trend = (f" Tension at the start of a session is {direction} over the period "
                 f"({s.trend_before:+.2f} points per session).")
    proto_rows = "".join(
        f"<tr><td>{e(p.name)}</td><td class='n'>{p.sessions}</td>"
        f"<td class='n'>{_pct(p.completed / p.sessions if p.sessions else None)}</td>"
        f"<td class='n'>{_num(p.mean_minutes, '{:.0f}')}</td>"
        f"<td class='n'>{_num(p.mean_drop)}</td></tr>"
        for p in s.protocols
    )
    session_rows = "".join(
        f"<tr><td class='n'>{i + 1}</td><td>{e(x.start.strftime('%Y-%m-%d %H:%M')) if x.start else 'unknown'}</td>"
        f"<td>{e(protocol_label(x))}</td><td>{e(_OUTCOME_TEXT.get(x.outcome, x.outcome))}</td>"
        f"<td class='n'>{_num(x.actual_s / 60 if x.actual_s is not None else None, '{:.0f}')}</td>"
        f"<td class='n'>{'-' if x.before is None else x.before}</td>"
        f"<td class='n'>{'-' if x.after is None else x.after}</td></tr>"
        for i, x in enumerate(done)
    )
    period = f"{s.first_day} to {s.last_day} ({s.days} days)" if s.days else "no dated sessions"
    undated = (f"<p class='note'>{s.undated} session(s) have no known date because the "
               "device clock was not set; they are counted but not shown by day or hour.</p>"
               if s.undated else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{e(title)}</h1>
<p>Device: {e(", ".join(devices) or "-")}. Period: {e(period)}.
Plan: {e(plan)} ({s.plan_per_day} session{"s" if s.plan_per_day > 1 else ""} a day).</p>

<h2>In short</h2>
<div class="key">
<p>{s.sessions} sessions, {s.completed} played to the end (completion {_pct(s.completion_rate)}).
Adherence to the plan: {_pct(s.adherence)} of {s.planned} planned sessions.</p>
<p>Tension before a session averaged {_num(s.mean_before)} and after {_num(s.mean_after)}
(0 = none, 10 = very high): a mean drop of {_num(s.mean_drop)} points over {s.rated}
sessions rated both times.{trend}</p>
</div>
{undated}

<h2>Trial treatment: the first {s.trial_size} sessions</h2>
<p>{e(trial_text)}</p>
<p class="note">A trial treatment of about four sessions is judged by the degree of tension
and whether complaints respond when tension drops. The device records how tense the
patient felt before and after each session; it does not record complaints.</p>
{plan_html}
<h2>Did the practice happen as planned?</h2>
<p class="note">Bars: sessions per day. Dashed line: the plan. Adherence counts at most
the planned number of sessions on a day.</p>
{_img(_plot_adherence(done, s), "sessions per day")}

<h2>Tension before and after each session</h2>
<p class="note">Red: before, blue: after; a grey line joins the two ratings of a session.
Dotted lines show the trend over the period.</p>
{_img(_plot_tension(done), "tension before and after")}

<h2>When was practised?</h2>
<p class="note">Start times by hour of the day.</p>
{_img(_plot_time_of_day(done), "time of day")}

<h2>How long were the sessions?</h2>
<p class="note">Minutes played per session; a black dash marks the planned length.</p>
{_img(_plot_duration(done), "durations")}

<h2>Per exercise</h2>
<table><tr><th>exercise</th><th>sessions</th><th>completed</th><th>mean minutes</th>
<th>mean tension drop</th></tr>{proto_rows}</table>

<h2>All sessions</h2>
<table><tr><th>#</th><th>start</th><th>exercise</th><th>how it ended</th><th>minutes</th>
<th>tension before</th><th>after</th></tr>{session_rows}</table>
<p class="note">Made by ontspan on {dt.date.today()}.</p>
</body></html>
"""


_OUTCOME_TEXT = {
    "COMPLETED": "completed",
    "STOPPED": "stopped by the patient",
    "POWER_CUT": "interrupted (power)",
    "FAULT": "interrupted (device)",
}
