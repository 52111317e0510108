"""`ontspan logs export --moments`: one row per planned moment of each patient,
with the same statuses the report counts (moments.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from ..archive import patients as pt
from ..archive.store import Archive
from ..errors import InputError
from .moments import MOMENT_FIELDS, moments_for_patient


def export_moments(archive: Archive, fmt: str, patient: str | None = None,
                   device: str | None = None, date_from: dt.date | None = None,
                   date_to: dt.date | None = None, now: dt.datetime | None = None) -> str:
    """Planned moments as CSV or JSON text: of one patient, of the patients who
    had `device`, or of every patient."""
    if fmt not in ("csv", "json"):
        raise InputError(f"unknown export format {fmt!r} (csv or json)")
    people = [pt.find_patient(archive, patient)] if patient else pt.list_patients(archive)
    if device:
        dev = archive.resolve_device(device)
        people = [p for p in people if any(x.device_id == dev for x in pt.links_of(archive, p))]
    rows = []
    for p in people:
        for r in moments_for_patient(archive, p, now).rows:
            if (date_from and r.date < date_from) or (date_to and r.date > date_to):
                continue
            rows.append(r.to_json())
    if fmt == "json":
        return json.dumps(rows, indent=1, ensure_ascii=False) + "\n"
    buf = io.StringIO()
    w = csv.DictWriter(buf, MOMENT_FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
