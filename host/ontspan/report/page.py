"""Practice report for the therapist: one self-contained HTML file, plus a terminal summary.

One patient is one device: the report has a section per device with its own
numbers and never pools devices. Numbers come from `summarize()`; the charts
(plots.py) are PNGs embedded as base64, so the file can be mailed or
archived on its own; the words (text.py) are Dutch or English.
"""

from __future__ import annotations

import datetime as dt
import html
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..archive.sessions import Session
from ..errors import InputError
from ..textsafe import for_terminal
from . import plots
from .text import Words

PLANS = {"daily": 1, "twice-daily": 2}
TRIAL_SESSIONS = 4  # a trial treatment is about four sessions
_ENDED = ("COMPLETED", "STOPPED", "PAUSED_TOO_LONG", "POWER_CUT", "FAULT")


@dataclass
class ProtocolSummary:
    name: str
    sessions: int
    completed: int
    mean_minutes: float | None
    mean_drop: float | None


@dataclass
class Summary:
    device_id: str
    label: str | None
    sessions: int  # sessions with an outcome (END pulled)
    completed: int
    outcomes: dict[str, int]  # Outcome name -> sessions
    first_day: dt.date | None
    last_day: dt.date | None
    days: int  # calendar days from first to last session
    plan_per_day: int
    planned: int  # days * plan_per_day
    adherence: float | None  # share of planned sessions done (at most plan per day count)
    completion_rate: float | None
    rated_before: int  # sessions rated before
    rated_after: int  # sessions rated after (protocols that ask only after count too)
    rated: int  # sessions rated before and after
    mean_before: float | None
    mean_after: float | None
    mean_drop: float | None  # over sessions rated both times
    trend_before: float | None  # change of tension-before per session (least squares, >= 4)
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


def per_device(sessions: Sequence[Session]) -> list[list[Session]]:
    """Sessions split by device (one patient each), in the archive's order."""
    out: dict[str, list[Session]] = defaultdict(list)
    for s in sessions:
        out[s.device_id].append(s)
    return [out[k] for k in sorted(out)]


def protocol_label(s: Session, w: Words | None = None) -> str:
    return s.protocol_name or (w or Words("en"))("exercise_n", n=s.protocol)


def summarize(sessions: Sequence[Session], plan: str = "daily",
              trial_size: int = TRIAL_SESSIONS) -> Summary:
    """The numbers of one device's report; InputError if sessions of several devices
    are given (patients are never pooled: use per_device)."""
    if plan not in PLANS:
        raise InputError(f"unknown plan {plan!r} (daily or twice-daily)")
    devices = {s.device_id for s in sessions}
    if len(devices) > 1:
        raise InputError(f"sessions of {len(devices)} devices: summarize each device alone")
    per_day = PLANS[plan]
    done = [s for s in sessions if s.outcome in _ENDED]
    days_seen = [s.start.date() for s in done if s.start]
    first = min(days_seen) if days_seen else None
    last = max(days_seen) if days_seen else None
    ndays = (last - first).days + 1 if first and last else 0
    credited = sum(min(c, per_day) for c in Counter(days_seen).values())
    completed = sum(1 for s in done if s.outcome == "COMPLETED")
    drops = [float(s.drop) for s in done if s.drop is not None]
    trial_drops = [float(s.drop) for s in done[:trial_size] if s.drop is not None]
    befores = [float(s.before) for s in done if s.before is not None]
    afters = [float(s.after) for s in done if s.after is not None]
    by_proto: dict[str, list[Session]] = defaultdict(list)
    for s in done:
        by_proto[protocol_label(s)].append(s)
    protos = [
        ProtocolSummary(
            name, len(ss), sum(1 for s in ss if s.outcome == "COMPLETED"),
            _mean([s.actual_s / 60 for s in ss if s.actual_s is not None]),
            _mean([float(s.drop) for s in ss if s.drop is not None]))
        for name, ss in sorted(by_proto.items())
    ]
    first_s = sessions[0] if sessions else None
    return Summary(
        device_id=first_s.device_id if first_s else "", label=first_s.label if first_s else None,
        sessions=len(done), completed=completed,
        outcomes=dict(Counter(s.outcome for s in done)), first_day=first, last_day=last,
        days=ndays, plan_per_day=per_day, planned=ndays * per_day,
        adherence=credited / (ndays * per_day) if ndays else None,
        completion_rate=completed / len(done) if done else None,
        rated_before=len(befores), rated_after=len(afters), rated=len(drops),
        mean_before=_mean(befores), mean_after=_mean(afters), mean_drop=_mean(drops),
        trend_before=_slope(befores) if len(befores) >= 4 else None, trial_n=len(trial_drops), trial_size=trial_size,
        trial_mean_drop=_mean(trial_drops), trial_dropped=sum(1 for d in trial_drops if d > 0),
        undated=sum(1 for s in done if s.start is None), protocols=protos,
    )


def _period(s: Summary, w: Words) -> str:
    if not s.days:
        return w("no_dated")
    if s.days == 1:
        return w("period_one_day", first=s.first_day)
    return w("period_days", first=s.first_day, last=s.last_day, days=s.days)


def _outcomes(s: Summary, w: Words) -> str:
    return ", ".join(f"{n} {w.outcome(k)}" for k, n in sorted(s.outcomes.items(),
                                                          key=lambda kv: _ENDED.index(kv[0])))


def tension_text(s: Summary, w: Words) -> list[str]:
    """The tension summary in plain words, empty states included."""
    if not s.rated_before and not s.rated_after:
        return [w("tension_none")]
    parts = []
    if s.rated_before and s.mean_before is not None:
        parts.append(w("tension_before", v=w.num(s.mean_before), n=s.rated_before))
    if s.rated_after and s.mean_after is not None:
        key = "tension_after" if parts else "tension_after_only"  # a sentence of its own
        parts.append(w(key, v=w.num(s.mean_after), n=s.rated_after))
    out = ["; ".join(parts) + " " + w("tension_scale")]
    if s.rated and s.mean_drop is not None:
        out.append(w("tension_drop", n=s.rated, v=w.num(s.mean_drop)))
    else:
        out.append(w("tension_no_pairs"))
    return out


def trial_text(s: Summary, w: Words) -> str:
    if not s.trial_n or s.trial_mean_drop is None:
        return w("trial_none", size=s.trial_size)
    return w("trial_text", size=s.trial_size, dropped=s.trial_dropped, n=s.trial_n,
             v=w.num(s.trial_mean_drop))


def _name(s: Summary) -> str:
    return f"{s.label} ({s.device_id})" if s.label else s.device_id


def terminal_summary(s: Summary, lang: str = "en") -> str:
    """A few lines for the terminal (non-printable characters escaped)."""
    w = Words(lang)
    if not s.sessions:
        return for_terminal(f"{_name(s)}: {w('no_sessions')}")
    pct = w.pct(s.completion_rate) if s.completion_rate is not None else ""
    lines = [f"{_name(s)}", w("term_sessions", n=s.sessions, completed=s.completed, pct=pct),
             w("outcomes_line", list=_outcomes(s, w))]
    if s.days and s.adherence is not None:
        lines.append(w("term_period", period=_period(s, w), plan=s.plan_per_day,
                       pct=w.pct(s.adherence)))
    lines += tension_text(s, w)
    lines.append(trial_text(s, w))
    if s.undated:
        lines.append(w("term_undated", n=s.undated))
    return "\n".join(for_terminal(x) for x in lines)


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 860px; margin: 2em auto; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
section.patient { border-top: 3px solid #6a8caf; margin-top: 2.5em; }
p.note { color: #555; font-size: 0.92em; }
table { border-collapse: collapse; } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; }
th { text-align: left; } td.n { text-align: right; }
.key { font-size: 1.1em; background: #f4f6f8; padding: 0.8em 1em; border-radius: 6px; }
"""


def _img(b64: str | None, alt: str, w: Words) -> str:
    if b64 is None:
        return f"<p class='note'>{html.escape(w('no_chart'))}</p>"
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{b64}'>"


def _section(sessions: Sequence[Session], plan: str, trial_size: int, w: Words) -> str:
    s = summarize(sessions, plan, trial_size)
    done = [x for x in sessions if x.outcome in _ENDED]
    e = html.escape
    if not s.sessions:
        return (f"<section class='patient'><h1>{e(_name(s))}</h1>"
                f"<p>{e(w('no_sessions'))}</p></section>")
    trend = ""
    if s.trend_before is not None:
        d = "trend_down" if s.trend_before < -0.02 else (
            "trend_up" if s.trend_before > 0.02 else "trend_level")
        trend = " " + w("trend", dir=w(d), v=w.num(s.trend_before, "{:+.2f}"))
    dash = "–"
    proto_rows = "".join(
        f"<tr><td>{e(p.name)}</td><td class='n'>{p.sessions}</td>"
        f"<td class='n'>{w.pct(p.completed / p.sessions)}</td>"
        f"<td class='n'>{dash if p.mean_minutes is None else w.num(p.mean_minutes, '{:.0f}')}</td>"
        f"<td class='n'>{dash if p.mean_drop is None else w.num(p.mean_drop)}</td></tr>"
        for p in s.protocols
    )
    session_rows = "".join(
        f"<tr><td class='n'>{i + 1}</td>"
        f"<td>{e(x.start.strftime('%Y-%m-%d %H:%M')) if x.start else e(w('unknown'))}</td>"
        f"<td>{e(protocol_label(x, w))}</td><td>{e(w.outcome(x.outcome))}</td>"
        f"<td class='n'>{dash if x.actual_s is None else w.num(x.actual_s / 60, '{:.0f}')}</td>"
        f"<td class='n'>{dash if x.before is None else x.before}</td>"
        f"<td class='n'>{dash if x.after is None else x.after}</td></tr>"
        for i, x in enumerate(done)
    )
    undated = f"<p class='note'>{e(w('undated', n=s.undated))}</p>" if s.undated else ""
    adher = (f"<p>{e(w('adherence_line', pct=w.pct(s.adherence), planned=s.planned, n=s.planned))}</p>"
             if s.adherence is not None else "")
    tension = " ".join(e(t) for t in tension_text(s, w)) + e(trend)
    f, la = s.first_day, s.last_day
    return f"""<section class="patient">
<h1>{e(_name(s))}</h1>
<p>{e(w("period"))}: {e(_period(s, w))}. {e(w("plan", plan=plan, n=s.plan_per_day))}</p>
<h2>{e(w("in_short"))}</h2>
<div class="key">
<p>{e(w("sessions_line", n=s.sessions, completed=s.completed, pct=w.pct(s.completion_rate or 0)))}
{e(w("outcomes_line", list=_outcomes(s, w)))}</p>
{adher}
<p>{tension}</p>
</div>
{undated}
<h2>{e(w("trial_h", n=s.trial_size))}</h2>
<p>{e(trial_text(s, w))}</p>
<p class="note">{e(w("trial_note"))}</p>
<h2>{e(w("adh_h"))}</h2>
<p class="note">{e(w("adh_note"))}</p>
{_img(plots.adherence(done, f, la, s.plan_per_day, w), w("adh_h"), w)}
<h2>{e(w("ten_h"))}</h2>
<p class="note">{e(w("ten_note"))}</p>
{_img(plots.tension(done, f, la, w), w("ten_h"), w)}
<h2>{e(w("tod_h"))}</h2>
<p class="note">{e(w("tod_note"))}</p>
{_img(plots.time_of_day(done, w), w("tod_h"), w)}
<h2>{e(w("dur_h"))}</h2>
<p class="note">{e(w("dur_note"))}</p>
{_img(plots.duration(done, f, la, w), w("dur_h"), w)}
<h2>{e(w("proto_h"))}</h2>
<table><tr><th>{e(w("col_exercise"))}</th><th>{e(w("col_sessions"))}</th>
<th>{e(w("col_completed"))}</th><th>{e(w("col_minutes"))}</th><th>{e(w("col_drop"))}</th></tr>
{proto_rows}</table>
<h2>{e(w("all_h"))}</h2>
<table><tr><th>#</th><th>{e(w("col_start"))}</th><th>{e(w("col_exercise"))}</th>
<th>{e(w("col_ended"))}</th><th>{e(w("col_min"))}</th><th>{e(w("col_before"))}</th>
<th>{e(w("col_after"))}</th></tr>{session_rows}</table>
</section>"""


def build_html(sessions: Sequence[Session], plan: str = "daily",
               trial_size: int = TRIAL_SESSIONS, title: str | None = None,
               lang: str = "en", plan_html: str = "") -> str:
    """The whole report as one HTML document: one section per device."""
    w = Words(lang)
    e = html.escape
    title = title or w("title")
    groups = per_device(sessions)
    intro = f"<p class='note'>{e(w('patients', n=len(groups)))}</p>" if len(groups) > 1 else ""
    body = "\n".join(_section(g, plan, trial_size, w) for g in groups)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>{_CSS}</style></head><body>
<p><b>{e(title)}</b></p>
{intro}
{body}
{plan_html}
<p class="note">{e(w("made", date=dt.date.today()))}</p>
</body></html>
"""
