"""The plan a device was given, kept for the patient linked to it then: `plan set`
and the app's Load both record it here, so a patient's report judges by the plans
they had."""

from __future__ import annotations

import datetime as dt

from ..plan.model import Plan
from . import patients as pt
from .store import Archive


def record_for_device(archive: Archive, device_id: str, plan: Plan, source_text: str,
                      at: dt.datetime | None = None) -> pt.Patient | None:
    """Record `plan` for the patient the device is linked to at `at` (default now);
    None (nothing recorded) when no patient has the device."""
    who = pt.patient_of(archive, device_id, at)
    if who is not None:
        pt.record_plan(archive, who, plan, source_text, at, device_id)
    return who
