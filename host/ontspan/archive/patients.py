"""Patients: records on this PC only (never written to a device), each linked to
one device at a time, with the plans they were given.

A device handed to the next patient starts a new link; a session belongs to the
patient whose link covered its start. A session of unknown time (the device
clock was never set) goes by its log: the patient linked when that log was
first pulled. A plan is recorded when `ontspan plan set` loads it; it is in
force from then (or from its own start day, if later) until the next one.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..plan.check import parse_plan
from ..plan.model import Plan
from ..textsafe import refuse_control
from .rows import now_iso
from .sessions import Session
from .store import Archive


@dataclass(frozen=True)
class Patient:
    id: int
    name: str
    note: str
    created: str  # ISO date-time, UTC


@dataclass(frozen=True)
class Link:
    device_id: str
    start: str  # ISO date-time, UTC
    end: str | None  # None: linked now

    def covers(self, when: dt.datetime) -> bool:
        return parse_time(self.start) <= when and (self.end is None or when < parse_time(self.end))


@dataclass(frozen=True)
class PlanPeriod:
    plan: Plan
    start: str  # ISO date-time, UTC: when it was loaded
    end: str | None  # when the next plan replaced it; None: in force now
    device_id: str | None = None
    source: str = ""

    @property
    def begins(self) -> dt.datetime:
        """When the plan counts from: loaded, or its own first day if that is later (local)."""
        loaded = parse_time(self.start)
        first = dt.datetime.combine(self.plan.start, dt.time()).astimezone()
        return max(loaded, first)

    @property
    def ends(self) -> dt.datetime | None:
        return None if self.end is None else parse_time(self.end)


def iso(at: dt.datetime | None) -> str:
    """A time as the archive writes it (UTC, seconds); naive times are local."""
    if at is None:
        return now_iso()
    return at.astimezone(dt.UTC).isoformat(timespec="seconds")


def parse_time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text)
    return t if t.tzinfo else t.astimezone()


def _patient(row: Sequence[Any]) -> Patient:
    return Patient(int(row[0]), str(row[1]), str(row[2]), str(row[3]))


def add_patient(archive: Archive, name: str, note: str = "") -> Patient:
    """A new patient; InputError if the name is empty, has control characters or exists."""
    name = name.strip()
    if not name:
        raise InputError("the patient's name is empty")
    refuse_control(name, "the patient's name")
    refuse_control(note, "the note")
    if name.isdigit():
        raise InputError(f"patient name {name!r}: a name of digits only reads as an id; "
                         "add a letter (e.g. P{name})")
    if archive.db.execute("SELECT 1 FROM patients WHERE name = ?", (name,)).fetchone():
        raise InputError(f"a patient named {name!r} exists already (`ontspan patient list`)")
    with archive.db as db:
        cur = db.execute("INSERT INTO patients (name, note, created) VALUES (?, ?, ?)",
                         (name, note, now_iso()))
    return find_patient(archive, str(cur.lastrowid))


def list_patients(archive: Archive) -> list[Patient]:
    return [_patient(r) for r in archive.db.execute(
        "SELECT id, name, note, created FROM patients ORDER BY name COLLATE NOCASE")]


def find_patient(archive: Archive, name_or_id: str) -> Patient:
    """A patient by name (any case) or id; InputError naming the closest names."""
    text = name_or_id.strip()
    row = archive.db.execute("SELECT id, name, note, created FROM patients WHERE name = ?",
                             (text,)).fetchone()
    if row is None and text.isdigit():
        row = archive.db.execute("SELECT id, name, note, created FROM patients WHERE id = ?",
                                 (int(text),)).fetchone()
    if row is not None:
        return _patient(row)
    names = [p.name for p in list_patients(archive)]
    close = difflib.get_close_matches(text, names, n=1) or difflib.get_close_matches(
        text.lower(), [n.lower() for n in names], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else (
        " (`ontspan patient add NAME` adds one)" if not names else " (`ontspan patient list`)")
    raise InputError(f"no patient {text!r} in the archive {archive.path}{hint}")


def links_of(archive: Archive, patient: Patient) -> list[Link]:
    return [Link(str(r[0]), str(r[1]), None if r[2] is None else str(r[2])) for r in
            archive.db.execute("SELECT device_id, start, end FROM patient_links "
                               "WHERE patient_id = ? ORDER BY start, rowid", (patient.id,))]


def device_of(archive: Archive, patient: Patient) -> str | None:
    """The device linked to the patient now."""
    row = archive.db.execute("SELECT device_id FROM patient_links WHERE patient_id = ? "
                             "AND end IS NULL ORDER BY rowid DESC LIMIT 1", (patient.id,)).fetchone()
    return None if row is None else str(row[0])


def link_device(archive: Archive, patient: Patient, device_id: str,
                at: dt.datetime | None = None) -> Link:
    """Link the device to the patient from `at` (default now): any open link of the
    device (another patient's) and of the patient (another device) ends then."""
    if not device_id:
        raise InputError("empty device id")
    refuse_control(device_id, "the device id")
    when = iso(at)
    for dev, start in archive.db.execute(
            "SELECT device_id, start FROM patient_links WHERE end IS NULL AND "
            "(device_id = ? OR patient_id = ?)", (device_id, patient.id)).fetchall():
        if parse_time(str(start)) > parse_time(when):
            raise InputError(f"device {dev} is linked from {start}, after {when}: "
                             "links go forward in time")
    with archive.db as db:
        db.execute("UPDATE patient_links SET end = ? WHERE end IS NULL AND "
                   "(device_id = ? OR patient_id = ?)", (when, device_id, patient.id))
        db.execute("INSERT OR IGNORE INTO devices (device_id, first_seen, last_seen) "
                   "VALUES (?, ?, ?)", (device_id, when, when))
        db.execute("INSERT INTO patient_links (patient_id, device_id, start, end) "
                   "VALUES (?, ?, ?, NULL)", (patient.id, device_id, when))
    return Link(device_id, when, None)


def unlink_device(archive: Archive, patient: Patient, at: dt.datetime | None = None) -> Link:
    """End the patient's open link (the device was handed back); InputError if none."""
    row = archive.db.execute("SELECT rowid, device_id, start FROM patient_links "
                             "WHERE patient_id = ? AND end IS NULL", (patient.id,)).fetchone()
    if row is None:
        raise InputError(f"{patient.name} has no device linked")
    when = iso(at)
    if parse_time(when) < parse_time(str(row[2])):
        raise InputError(f"the link started {row[2]}, after {when}")
    with archive.db as db:
        db.execute("UPDATE patient_links SET end = ? WHERE rowid = ?", (when, row[0]))
    return Link(str(row[1]), str(row[2]), when)


def patient_of(archive: Archive, device_id: str, at: dt.datetime | None = None) -> Patient | None:
    """The patient the device was linked to at `at` (default now)."""
    when = parse_time(iso(at))
    for pid, start, end in archive.db.execute(
            "SELECT patient_id, start, end FROM patient_links WHERE device_id = ? "
            "ORDER BY start DESC, rowid DESC", (device_id,)):
        if parse_time(str(start)) <= when and (end is None or when < parse_time(str(end))):
            return find_patient(archive, str(pid))
    return None


def record_plan(archive: Archive, patient: Patient, plan: Plan, source_text: str,
                at: dt.datetime | None = None, device_id: str | None = None) -> PlanPeriod:
    """Remember the plan the patient was given at `at` (default now): `plan set` calls it."""
    del plan  # the source is what is kept; it reads back as the same plan
    check, _ = parse_plan(source_text)
    if check is None:
        raise InputError("the plan's text has errors; run `ontspan check` on it")
    when = iso(at)
    with archive.db as db:
        db.execute("INSERT INTO patient_plans (patient_id, device_id, start, source) "
                   "VALUES (?, ?, ?, ?)", (patient.id, device_id, when, source_text))
    return plans_of(archive, patient)[-1]


def plans_of(archive: Archive, patient: Patient) -> list[PlanPeriod]:
    """The plans the patient had, oldest first, each until the next was loaded."""
    rows = archive.db.execute("SELECT start, source, device_id FROM patient_plans "
                              "WHERE patient_id = ? ORDER BY start, rowid",
                              (patient.id,)).fetchall()
    out: list[PlanPeriod] = []
    for i, (start, source, dev) in enumerate(rows):
        plan, _ = parse_plan(str(source), f"plan of {patient.name} from {start}")
        if plan is None:
            continue  # cannot happen for text record_plan accepted
        end = str(rows[i + 1][0]) if i + 1 < len(rows) else None
        out.append(PlanPeriod(plan, str(start), end, None if dev is None else str(dev),
                              str(source)))
    return out


def sessions_of(archive: Archive, patient: Patient) -> list[Session]:
    """The patient's sessions: those whose start a link of the patient covered (of
    unknown start: whose log was first pulled while linked), in time order."""
    out: list[Session] = []
    for dev in dict.fromkeys(x.device_id for x in links_of(archive, patient)):
        owners = archive.session_owners(dev)
        out += [s for s in archive.sessions(dev)
                if owners.get((s.device_id, s.epoch, s.seq), (None,))[0] == patient.id]
    return sorted(out, key=lambda s: (s.wall_s is None, s.wall_s or 0, s.device_id, s.seq))


def resolve_device(archive: Archive, text: str) -> str:
    """A device id from a device id, a device label, or a patient (name or id: the
    device linked to them now). The one resolver of every `--device`."""
    return archive.resolve_device(text)
