"""One patient's report: one self-contained HTML file titled by the patient's name.

In the order a therapist reads it: where the patient stands in the block, the
trial verdict, adherence against the plan per week, the charts, the session
table. Every count on the page comes from one `PatientMoments`
(moments.py): the same statuses `logs export --moments` writes.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from ..archive import patients as pt
from ..archive.store import Archive
from ..plan.model import Plan
from ..textsafe import for_terminal
from . import plots
from .adherence import MIN_PRACTICE_S, Counts
from .moments import MomentRow, PatientMoments, moments_for_patient
from .page import _CSS, _ENDED, _img, protocol_label
from .patient_text import STATUS
from .text import Words

_DASH = "–"


@dataclass
class PatientReport:
    html: str
    moments: PatientMoments

    def lines(self, lang: str = "en") -> list[str]:
        """A few lines for the terminal."""
        w = Words(lang)
        pm = self.moments
        out = [pm.patient.name, _where(pm, w)]
        if pm.plans:
            c = pm.counts()
            out.append(w("p_adh_total", on_time=c.on_time, planned=c.planned, late=c.late,
                         missed=c.missed, extra=len(pm.extra)))
            out += _trial_lines(pm, w)
        return [for_terminal(x) for x in out]


def _where(pm: PatientMoments, w: Words) -> str:
    b = pm.block
    if b is None:
        return w("p_no_plan")
    if b.day < 1:
        return w("p_starts", n=1 - b.day)
    if b.time_to_judge:
        return w("p_judge", days=b.days)
    return w("p_day", day=b.day, days=b.days)


def _plan_line(p: Plan, w: Words) -> str:
    moments = ", ".join(f"{m.time} {m.protocol}" for m in p.moments)
    return w("p_plan", start=p.start, n=len(p.moments), list=moments, weeks=p.weeks,
             trial=p.trial_sessions)


def _trial_lines(pm: PatientMoments, w: Words) -> list[str]:
    rated = pm.trial_rated
    out = [w("p_trial_done", n=len(rated), wanted=pm.trial_wanted)]
    if rated:
        b = sum(s.before or 0 for s in rated) / len(rated)
        a = sum(s.after or 0 for s in rated) / len(rated)
        drops = sum(1 for s in rated if (s.drop or 0) > 0)
        out.append(w("p_trial_pairs", n=len(rated), b=w.num(b), a=w.num(a), drops=drops))
    else:
        out.append(w("p_trial_no_pairs"))
    why: dict[str, int] = {}
    for t in pm.trial:
        if t.why_not:
            why[t.why_not] = why.get(t.why_not, 0) + 1
    if why:
        text = "; ".join(w(f"p_why_{k}", n=n) for k, n in sorted(why.items()))
        out.append(w("p_trial_unrated", n=sum(why.values()), why=text))
    return out


def _counts_row(label: str, c: Counts) -> str:
    return (f"<tr><td>{html.escape(label)}</td><td class='n'>{c.on_time}</td>"
            f"<td class='n'>{c.late}</td><td class='n'>{c.missed}</td>"
            f"<td class='n'>{c.planned}</td></tr>")


def _status_of(pm: PatientMoments) -> dict[tuple[str, str, int], MomentRow]:
    return {(r.session.device_id, r.session.epoch, r.session.seq): r
            for r in pm.rows if r.session is not None}


def build_patient_html(pm: PatientMoments, lang: str = "en") -> str:
    w = Words(lang)
    e = html.escape
    name = pm.patient.name
    parts = [f"<h1>{e(name)}</h1><p class='note'>{e(w('p_sub'))}</p>",
             f"<h2>{e(w('p_where_h', name=name))}</h2><div class='key'><p><b>{e(_where(pm, w))}</b></p>"]
    for period in pm.plans:
        until = f" {w('p_plan_until', end=period.end[:10])}" if period.end else ""
        parts.append(f"<p>{e(_plan_line(period.plan, w) + until)}</p>")
        if period.source == "--plan-file":
            parts.append(f"<p class='note'>{e(w('p_what_if', path=period.plan.path or '-'))}</p>")
    parts.append("</div>")
    if pm.plans:
        parts.append(f"<h2>{e(w('p_trial_h'))}</h2><div class='key'>"
                     + "".join(f"<p>{e(x)}</p>" for x in _trial_lines(pm, w)) + "</div>")
        unrated = any(not t.rated for t in pm.trial)
        trial_rows = "".join(
            f"<tr><td class='n'>{i + 1}</td>"
            f"<td>{e(t.session.start.strftime('%Y-%m-%d %H:%M')) if t.session.start else _DASH}</td>"
            f"<td>{e(protocol_label(t.session, w))}</td>"
            f"<td class='n'>{_DASH if t.session.before is None else t.session.before}</td>"
            f"<td class='n'>{_DASH if t.session.after is None else t.session.after}</td>"
            f"<td class='n'>{_DASH if t.session.drop is None else t.session.drop}</td>"
            + (f"<td>{'' if t.rated else e(w('p_short_' + str(t.why_not)))}</td>"
               if unrated else "") + "</tr>"
            for i, t in enumerate(pm.trial))
        if trial_rows:
            parts.append(f"<table><tr><th>#</th><th>{e(w('col_start'))}</th>"
                         f"<th>{e(w('col_exercise'))}</th><th>{e(w('col_before'))}</th>"
                         f"<th>{e(w('col_after'))}</th><th>{e(w('p_drop'))}</th>"
                         + (f"<th>{e(w('p_why_h'))}</th>" if unrated else "") + "</tr>"
                         f"{trial_rows}</table>")
        parts.append(f"<p class='note'>{e(w('trial_note'))}</p>")
        c = pm.counts()
        weeks = "".join(_counts_row(w("p_week", n=k), pm.counts(k)) for k in pm.weeks)
        head = "".join(f"<th>{e(w(k))}</th>" for k in ("p_col_on_time", "p_col_late",
                                                       "p_col_missed", "p_col_planned"))
        pending = f"<p class='note'>{e(w('p_pending', n=pm.pending))}</p>" if pm.pending else ""
        parts.append(
            f"<h2>{e(w('p_adh_h'))}</h2><div class='key'><p>"
            f"{e(w('p_adh_total', on_time=c.on_time, planned=c.planned, late=c.late, missed=c.missed, extra=len(pm.extra)))}"
            f"</p></div><table><tr><th></th>{head}</tr>{weeks}"
            f"{_counts_row(w('p_total'), c)}</table>{pending}"
            f"<p class='note'>{e(w('p_adh_note'))}</p>")
    done = [s for s in pm.sessions if s.outcome in _ENDED]
    days = [s.start.date() for s in done if s.start]
    first = min(days) if days else None
    last = max(days) if days else None
    if pm.plans and first is not None:
        first = min(first, pm.plans[0].plan.start)
        last = max(last or first, min(pm.plans[-1].plan.block_end, dt.date.today()))
    if pm.plans:
        parts.append(f"<h2>{e(w('adh_h'))}</h2><p class='note'>{e(w('adh_note'))}</p>"
                     + _img(plots.adherence(done, first, last, pm.per_day or 0, w), w("adh_h"), w))
    for key, pic in (("ten", plots.tension(done, first, last, w)),
                     ("tod", plots.time_of_day(done, w)),
                     ("dur", plots.duration(done, first, last, w))):
        parts.append(f"<h2>{e(w(key + '_h'))}</h2><p class='note'>{e(w(key + '_note'))}</p>"
                     + _img(pic, w(key + "_h"), w))
    status = _status_of(pm)
    st = STATUS[lang]
    extra = {(s.device_id, s.epoch, s.seq) for s in pm.extra}
    rows = []
    for i, s in enumerate(done):
        sid = (s.device_id, s.epoch, s.seq)
        m = status.get(sid)
        planned = (f"{m.time} ({st[m.status]})" if m else _DASH if not pm.plans
                   else w("p_extra") if sid in extra
                   else w("p_too_short") if s.actual_s is not None and s.actual_s < MIN_PRACTICE_S
                   else w("p_no_plan_then"))
        rows.append(
            f"<tr><td class='n'>{i + 1}</td>"
            f"<td>{e(s.start.strftime('%Y-%m-%d %H:%M')) if s.start else e(w('unknown'))}</td>"
            f"<td>{e(protocol_label(s, w))}</td><td>{e(planned)}</td>"
            f"<td>{e(w.outcome(s.outcome))}</td>"
            f"<td class='n'>{_DASH if s.actual_s is None else w.num(s.actual_s / 60, '{:.0f}')}</td>"
            f"<td class='n'>{_DASH if s.before is None else s.before}</td>"
            f"<td class='n'>{_DASH if s.after is None else s.after}</td></tr>")
    parts.append(
        f"<h2>{e(w('all_h'))}</h2><table><tr><th>#</th><th>{e(w('col_start'))}</th>"
        f"<th>{e(w('col_exercise'))}</th><th>{e(w('p_col_moment'))}</th>"
        f"<th>{e(w('col_ended'))}</th><th>{e(w('col_min'))}</th><th>{e(w('col_before'))}</th>"
        f"<th>{e(w('col_after'))}</th></tr>{''.join(rows)}</table>")
    body = "\n".join(parts)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{e(name)}</title>
<style>{_CSS}</style></head><body>
{body}
<p class="note">{e(w("made", date=dt.date.today()))}</p>
</body></html>
"""


def report_for_patient(archive: Archive, patient: pt.Patient, lang: str = "en",
                       now: dt.datetime | None = None,
                       plan_file: Plan | None = None) -> PatientReport:
    """The patient's report; `plan_file` judges by that plan instead ("what if")."""
    pm = moments_for_patient(archive, patient, now, plan_file)
    return PatientReport(build_patient_html(pm, lang), pm)
