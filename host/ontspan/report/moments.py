"""One patient's planned moments, each with one status: the one adherence truth.

The report's every count and the `logs export --moments` rows come from
`moments_for_patient`. The plans are the ones the patient actually had (a plan
changed mid-block is two periods, each moment judged by the plan in force at
its planned time); `plan_file` replaces them for a "what if". Only the block's
days count: after its last day nothing is missed. The rules that give a moment
its status are adherence.py's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..archive import patients as pt
from ..archive.sessions import Session
from ..archive.store import Archive
from ..plan.model import Plan
from .adherence import (
    MIN_PRACTICE_S,
    PENDING,
    Block,
    Counts,
    adherence,
    logged_missed,
)

STATUS_WORDS = {"on_time": "on time", "late": "late", "missed": "missed", "pending": "pending"}


@dataclass(frozen=True)
class _Row:
    """A session as adherence() reads it, its seq the index in the patient's list
    (seqs repeat across devices and logs)."""

    seq: int
    wall_s: int | None
    protocol_name: str | None
    actual_s: int | None
    before: int | None
    after: int | None
    moment: int | None


@dataclass(frozen=True)
class MomentRow:
    patient: str
    date: dt.date
    time: str  # planned, HH:MM
    protocol: str
    status: str  # on_time, late, missed, pending
    period: int  # index into PatientMoments.periods
    moment: int  # index in that plan
    week: int  # week of the block, 1-based
    session: Session | None = None  # the one that answered it
    delay_min: int | None = None
    reminded: bool = False

    def to_json(self) -> dict[str, Any]:
        s = self.session
        return {
            "patient": self.patient, "date": self.date.isoformat(), "time": self.time,
            "protocol": self.protocol, "status": self.status, "week": self.week,
            "plan_period": self.period + 1, "moment": self.moment,
            "device_id": s.device_id if s else None, "epoch": s.epoch if s else None,
            "seq": s.seq if s else None, "delay_min": self.delay_min, "reminded": self.reminded,
        }


MOMENT_FIELDS = ["patient", "date", "time", "protocol", "status", "week", "plan_period",
                 "moment", "device_id", "epoch", "seq", "delay_min", "reminded"]


@dataclass(frozen=True)
class TrialSession:
    session: Session

    @property
    def rated(self) -> bool:
        return self.session.drop is not None

    @property
    def why_not(self) -> str | None:
        """Why a trial session has no before-and-after pair (None: it has one)."""
        s = self.session
        if self.rated:
            return None
        if s.before is None and s.after is None:
            return "not_rated"
        return "before_only" if s.after is None else "after_only"


@dataclass
class PatientMoments:
    patient: pt.Patient
    plans: list[pt.PlanPeriod]  # in force, oldest first ("what if": one from the file)
    rows: list[MomentRow]
    sessions: list[Session]  # all of the patient's
    extra: list[Session]  # practice outside any planned moment
    block: Block | None  # of the plan in force now
    trial_wanted: int
    trial: list[TrialSession] = field(default_factory=list)

    @property
    def per_day(self) -> int | None:
        """Moments a day of the plan in force now (None: no plan)."""
        return len(self.plans[-1].plan.moments) if self.plans else None

    def counts(self, week: int | None = None) -> Counts:
        c = Counts()
        for r in self.rows:
            if week is None or r.week == week:
                c.add(r.status)
        return c

    @property
    def weeks(self) -> list[int]:
        return sorted({r.week for r in self.rows})

    @property
    def pending(self) -> int:
        return sum(1 for r in self.rows if r.status == PENDING)


def _in(s: Session, begins: dt.datetime, ends: dt.datetime | None) -> bool:
    st = s.start
    return st is not None and begins <= st and (ends is None or st < ends)


def _due(day: dt.date, minute: int) -> dt.datetime:
    return (dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)).astimezone()


def _period_rows(patient: pt.Patient, k: int, period: pt.PlanPeriod, block_start: dt.date,
                 sessions: Sequence[Session], missed: Sequence[dict[str, Any]],
                 now: dt.datetime) -> tuple[list[MomentRow], list[Session]]:
    plan, begins, ends = period.plan, period.begins, period.ends
    mine = [s for s in sessions if _in(s, begins, ends)]
    rows = [_Row(i, s.wall_s, s.protocol_name, s.actual_s, s.before, s.after, s.moment)
            for i, s in enumerate(mine)]
    until = now if ends is None else min(now, ends)
    a = adherence(plan, rows, until.astimezone().replace(tzinfo=None), logged_missed(missed))
    out = []
    for o in a.occurrences:
        m = plan.moments[o.moment]
        due = _due(o.day, m.minute)
        if due < begins or (ends is not None and due >= ends):
            continue  # another period's plan judges this moment
        out.append(MomentRow(
            patient.name, o.day, m.time, m.protocol, o.status, k, o.moment,
            (o.day - block_start).days // 7 + 1,
            None if o.seq is None else mine[o.seq], o.delay_min, o.reminded))
    extra = [mine[i] for i in a.extra]
    return out, extra


def moments_for_patient(archive: Archive, patient: pt.Patient, now: dt.datetime | None = None,
                        plan_file: Plan | None = None) -> PatientMoments:
    """Every planned moment of the patient up to `now` (default: now) with its status."""
    now = (now or dt.datetime.now()).astimezone()
    sessions = pt.sessions_of(archive, patient)
    if plan_file is not None:  # "what if": this plan from its start, nothing else
        periods = [pt.PlanPeriod(plan_file, pt.iso(dt.datetime.combine(
            plan_file.start, dt.time()).astimezone()), None, source="--plan-file")]
    else:
        periods = pt.plans_of(archive, patient)
    devices = {s.device_id for s in sessions}
    missed = [r for d in sorted(devices) for r in archive.missed(d)]
    rows: list[MomentRow] = []
    extra: list[Session] = []
    block_start = periods[0].plan.start if periods else None
    for k, period in enumerate(periods):
        assert block_start is not None
        r, e = _period_rows(patient, k, period, block_start, sessions, missed, now)
        rows += r
        extra += e
    block = None
    trial_wanted = 0
    trial: list[TrialSession] = []
    if periods:
        current = periods[-1].plan
        day = (now.date() - current.start).days + 1
        block = Block(day, current.block_days, now.date() > current.block_end)
        trial_wanted = periods[0].plan.trial_sessions
        first = periods[0].begins
        practice = [s for s in sessions if s.start is not None and s.start >= first
                    and (s.actual_s is None or s.actual_s >= MIN_PRACTICE_S)
                    and s.outcome != "NONE"]
        trial = [TrialSession(s) for s in practice[:trial_wanted]]
    return PatientMoments(patient, periods, rows, sessions, extra, block, trial_wanted, trial)


def moments_json(pm: PatientMoments) -> list[dict[str, Any]]:
    return [r.to_json() for r in pm.rows]
