"""Adherence to a practice plan, from the archive's sessions: pure functions.

Every planned moment (a day and a moment of the plan) up to `now` gets one
status. Rules (docs/plans.md, "Adherence"):

- A session that answered a moment on the device (the reminder tap; log v2
  carries the moment's index) belongs to that moment on its day.
- Any other session belongs to the moment whose slot holds its start: a slot
  runs from one window before the moment until one window before the day's
  next moment (the last one until midnight). A session before the day's first
  slot, or in a slot already answered, is extra practice.
- On time: started before the window closed; late: after it; missed: nothing
  by the time its window closed; pending: its window has not closed yet.
- Only the practice block's days count: after its last day nothing is missed.
- Sessions shorter than MIN_PRACTICE_S (started by mistake) are not practice;
  sessions of unknown length (a power cut) are.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..plan.model import Plan

MIN_PRACTICE_S = 60
ON_TIME, LATE, MISSED, PENDING = "on_time", "late", "missed", "pending"
STATUSES = (ON_TIME, LATE, MISSED)


class SessionRow(Protocol):
    """What adherence reads of an archive session (archive.Session has these)."""

    @property
    def seq(self) -> int: ...
    @property
    def wall_s(self) -> int | None: ...
    @property
    def protocol_name(self) -> str | None: ...
    @property
    def actual_s(self) -> int | None: ...
    @property
    def before(self) -> int | None: ...
    @property
    def after(self) -> int | None: ...


@dataclass(frozen=True)
class Occurrence:
    day: dt.date
    moment: int
    status: str
    seq: int | None = None  # the session that answered it
    delay_min: int | None = None  # its start minus the planned time
    reminded: bool = False  # the device logged it missed: the reminder glowed unanswered


@dataclass
class Counts:
    on_time: int = 0
    late: int = 0
    missed: int = 0

    def add(self, status: str) -> None:
        if status in STATUSES:
            setattr(self, status, getattr(self, status) + 1)

    @property
    def planned(self) -> int:
        return self.on_time + self.late + self.missed

    def to_json(self) -> dict[str, int]:
        return {"on_time": self.on_time, "late": self.late, "missed": self.missed,
                "planned": self.planned}


@dataclass(frozen=True)
class Block:
    day: int  # day of the block, 1-based; < 1 before the start
    days: int
    time_to_judge: bool

    @property
    def text(self) -> str:
        if self.day < 1:
            return f"the practice block starts in {1 - self.day} day(s)"
        if self.time_to_judge:
            return f"the {self.days}-day practice block is over: time to judge"
        return f"day {self.day} of {self.days}"


@dataclass(frozen=True)
class TrialRow:
    seq: int
    day: dt.date
    protocol: str | None
    before: int | None
    after: int | None

    @property
    def drop(self) -> int | None:
        return None if self.before is None or self.after is None else self.before - self.after


@dataclass(frozen=True)
class Trial:
    wanted: int
    rows: tuple[TrialRow, ...]

    @property
    def rated(self) -> tuple[TrialRow, ...]:
        return tuple(r for r in self.rows if r.drop is not None)

    @property
    def drops(self) -> int:
        return sum(1 for r in self.rated if (r.drop or 0) > 0)

    def mean(self, attr: str) -> float | None:
        vals = [getattr(r, attr) for r in self.rated]
        return round(sum(vals) / len(vals), 1) if vals else None

    def to_json(self) -> dict[str, Any]:
        return {
            "wanted": self.wanted, "done": len(self.rows), "complete": len(self.rows) >= self.wanted,
            "rated": len(self.rated), "drops": self.drops,
            "mean_before": self.mean("before"), "mean_after": self.mean("after"),
            "sessions": [{"seq": r.seq, "day": r.day.isoformat(), "protocol": r.protocol,
                          "before": r.before, "after": r.after, "drop": r.drop}
                         for r in self.rows],
        }


@dataclass
class Adherence:
    plan: Plan
    occurrences: list[Occurrence]
    extra: list[int]  # seqs of practice outside any planned moment
    block: Block
    trial: Trial
    per_moment: list[Counts] = field(default_factory=list)
    per_week: dict[int, Counts] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "block": {"day": self.block.day, "days": self.block.days,
                      "time_to_judge": self.block.time_to_judge, "text": self.block.text},
            "total": self.total.to_json(),
            "moments": [{"index": i, "time": m.time, "protocol": m.protocol, "days": m.day_names,
                         **c.to_json()}
                        for i, (m, c) in enumerate(zip(self.plan.moments, self.per_moment,
                                                       strict=True))],
            "weeks": {str(w): c.to_json() for w, c in sorted(self.per_week.items())},
            "extra_sessions": len(self.extra),
            "trial": self.trial.to_json(),
            "occurrences": [
                {"day": o.day.isoformat(), "moment": o.moment, "status": o.status, "seq": o.seq,
                 "delay_min": o.delay_min, "reminded": o.reminded}
                for o in self.occurrences
            ],
        }

    def lines(self) -> list[str]:
        """The terminal summary."""
        t = self.total
        out = [f"Plan from {self.plan.start}: {self.block.text}",
               f"  planned moments so far: {t.planned}; on time {t.on_time}, late {t.late}, "
               f"missed {t.missed}; extra sessions {len(self.extra)}"]
        for m, c in zip(self.plan.moments, self.per_moment, strict=True):
            out.append(f"  {m.time} {m.protocol} ({m.day_names}): on time {c.on_time}, "
                       f"late {c.late}, missed {c.missed}")
        for w, c in sorted(self.per_week.items()):
            out.append(f"  week {w}: on time {c.on_time}, late {c.late}, missed {c.missed}")
        tr = self.trial
        head = f"Trial: {len(tr.rows)} of {tr.wanted} sessions"
        if tr.rated:
            head += (f"; tension {tr.mean('before')} before, {tr.mean('after')} after; "
                     f"{tr.drops} of {len(tr.rated)} rated showed a drop")
        out.append(head)
        return out


def _start(s: SessionRow) -> dt.datetime | None:
    return None if s.wall_s is None else dt.datetime.fromtimestamp(s.wall_s)


def _moment_of(s: SessionRow, count: int) -> int | None:
    m = getattr(s, "moment", None)  # log v2; archive rows before it have none
    return m if isinstance(m, int) and 0 <= m < count else None


def _counts(s: SessionRow) -> bool:
    return s.actual_s is None or s.actual_s >= MIN_PRACTICE_S


def _slot(plan: Plan, day: dt.date, i: int) -> tuple[int, int]:
    """(first, last + 1) minute of day of moment i's slot on `day`."""
    m = plan.moments[i]
    later = [n for n in plan.moments[i + 1 :] if n.on(day)]
    return m.minute - m.window, (later[0].minute - later[0].window) if later else 1440


def adherence(plan: Plan, sessions: Iterable[SessionRow], now: dt.datetime,
              logged_missed: Iterable[tuple[dt.date, int]] = ()) -> Adherence:
    """Adherence up to `now` (local, naive); `logged_missed`: the device's MISSED records."""
    placed = sorted(((st, s) for s in sessions if (st := _start(s)) is not None and st <= now),
                    key=lambda p: (p[0], p[1].seq))
    practice = [(st, s) for st, s in placed if _counts(s)]
    # only the block's days are judged: after its last day nothing is missed
    planned = list(plan.occurrences(plan.start, min(now.date(), plan.block_end)))
    is_planned = set(planned)
    answer: dict[tuple[dt.date, int], tuple[dt.datetime, SessionRow]] = {}
    extra: list[int] = []
    rest = []
    for st, s in practice:  # answered on the device first: they name their moment
        m = _moment_of(s, len(plan.moments))
        key = (st.date(), m)
        if m is not None and key in is_planned and key not in answer:
            answer[key] = (st, s)
        else:
            rest.append((st, s))
    for st, s in rest:
        day, minute = st.date(), st.hour * 60 + st.minute
        hit = next((i for d, i in planned if d == day
                    and _slot(plan, day, i)[0] <= minute < _slot(plan, day, i)[1]), None)
        if hit is None or (day, hit) in answer:
            extra.append(s.seq)
        else:
            answer[(day, hit)] = (st, s)
    reminded = set(logged_missed)
    result = Adherence(plan, [], extra, _block(plan, now.date()), _trial(plan, practice),
                       [Counts() for _ in plan.moments])
    for day, i in planned:
        mo = plan.moments[i]
        due = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=mo.minute)
        if (day, i) in answer:
            st, s = answer[(day, i)]
            delay = int((st - due).total_seconds() // 60)
            status = ON_TIME if delay < mo.window else LATE
            occ = Occurrence(day, i, status, s.seq, delay, (day, i) in reminded)
        elif now < due + dt.timedelta(minutes=mo.window):
            occ = Occurrence(day, i, PENDING)
        else:
            occ = Occurrence(day, i, MISSED, reminded=(day, i) in reminded)
        result.occurrences.append(occ)
        result.per_moment[i].add(occ.status)
        result.per_week.setdefault((day - plan.start).days // 7 + 1, Counts()).add(occ.status)
        result.total.add(occ.status)
    return result


def _block(plan: Plan, today: dt.date) -> Block:
    day = (today - plan.start).days + 1
    return Block(day, plan.block_days, today > plan.block_end)


def _trial(plan: Plan, placed: Sequence[tuple[dt.datetime, SessionRow]]) -> Trial:
    rows = [TrialRow(s.seq, st.date(), s.protocol_name, s.before, s.after)
            for st, s in placed if st.date() >= plan.start][: plan.trial_sessions]
    return Trial(plan.trial_sessions, tuple(rows))


def to_html(a: Adherence) -> str:
    """The report's section on the plan (HTML fragment, same styles as the report)."""
    e = html.escape

    def row(label: str, c: Counts) -> str:
        return (f"<tr><td>{e(label)}</td><td class='n'>{c.on_time}</td><td class='n'>{c.late}"
                f"</td><td class='n'>{c.missed}</td><td class='n'>{c.planned}</td></tr>")

    head = ("<tr><th></th><th>on time</th><th>late</th><th>missed</th>"
            "<th>planned so far</th></tr>")
    moments = "".join(row(f"{m.time} {m.protocol} ({m.day_names})", c)
                      for m, c in zip(a.plan.moments, a.per_moment, strict=True))
    weeks = "".join(row(f"week {w}", c) for w, c in sorted(a.per_week.items()) if c.planned)
    reminded = sum(1 for o in a.occurrences if o.status == MISSED and o.reminded)
    tr = a.trial
    trial_rows = "".join(
        f"<tr><td class='n'>{i + 1}</td><td>{r.day}</td><td>{e(r.protocol or '-')}</td>"
        f"<td class='n'>{'-' if r.before is None else r.before}</td>"
        f"<td class='n'>{'-' if r.after is None else r.after}</td>"
        f"<td class='n'>{'-' if r.drop is None else r.drop}</td></tr>"
        for i, r in enumerate(tr.rows))
    trial_text = f"{len(tr.rows)} of {tr.wanted} trial sessions done"
    if tr.rated:
        trial_text += (f"; tension {tr.mean('before')} before and {tr.mean('after')} after on "
                       f"average; {tr.drops} of {len(tr.rated)} rated sessions showed a drop")
    return f"""
<h2>The practice plan</h2>
<div class="key"><p>Plan from {a.plan.start}: <b>{e(a.block.text)}</b>.
{a.total.on_time} of {a.total.planned} planned moments so far were practised on time,
{a.total.late} late, {a.total.missed} missed ({reminded} of those after a reminder on the
device); {len(a.extra)} session(s) outside the plan.</p></div>
<table>{head}{moments}<tr><td colspan="5"></td></tr>{weeks}</table>
<p class="note">On time: started before the reminder window closed. Late: later, before the
next planned moment of the day. A session outside any moment counts as extra practice.</p>
<h3>Trial treatment</h3>
<p>{e(trial_text)}.</p>
<table><tr><th>#</th><th>day</th><th>exercise</th><th>tension before</th><th>after</th>
<th>drop</th></tr>{trial_rows}</table>
"""


def logged_missed(rows: Iterable[dict[str, Any]]) -> list[tuple[dt.date, int]]:
    """(day, moment) of the archive's MISSED rows (Archive.missed()) that have both."""
    return [(dt.datetime.fromtimestamp(r["wall_s"]).date(), r["moment"]) for r in rows
            if r.get("wall_s") is not None and r.get("moment") is not None]


def for_report(plan_file: str, sessions: Sequence[SessionRow], missed: Iterable[dict[str, Any]],
               now: dt.datetime | None = None) -> Adherence:
    """`ontspan report --plan-file`: the plan checked, adherence up to now."""
    from ..errors import InputError
    from ..plan.check import load_plan

    plan, diags = load_plan(plan_file)
    if plan is None:
        first = next((d for d in diags if d.severity == "error"), None)
        raise InputError(f"{first or plan_file}; run `ontspan check {plan_file}`")
    return adherence(plan, sessions, now or dt.datetime.now(), logged_missed(missed))
