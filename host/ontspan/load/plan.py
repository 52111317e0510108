"""The practice plan on the device: store, read, clear (`ontspan plan`, the app's Load).

The device stores protocol ids; the plan names protocols. Names map to the ids of
the table on the device (names recorded by `ontspan flash`), and a plan that names
a protocol the device lacks is refused before anything is sent. See docs/plans.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..device.client import Link
from ..device.codec import Cmd, Status
from ..device.names import names_for, protocol_ids
from ..device.replies import LinkError
from ..errors import InputError, OntspanError
from ..plan.model import Plan, PlanError, decode_plan, encode_plan, plan_error_text
from ..shared import C


def device_ids(info: dict[str, Any]) -> dict[str, int]:
    """Protocol name -> id for the device's table, from the names stored here."""
    names = names_for(info)
    on_device = set(protocol_ids(info))
    return {
        e["name"]: int(k) for k, e in names.items()
        if isinstance(e, dict) and e.get("name") and k.isdigit() and int(k) in on_device
    }


def refused(e: LinkError) -> OntspanError:
    if e.status == Status.ERR_PLAN_REFUSED and e.detail:
        return OntspanError(f"the device refused the plan: {plan_error_text(e.detail[0])}")
    if e.status == Status.ERR_NO_PROTOCOL:
        return InputError("the plan names a protocol the device does not have "
                          "(flash the table first)")
    return e


def plan_bytes(plan: Plan, ids: Mapping[str, int]) -> bytes:
    """The plan's bytes for a table with these protocol ids; InputError otherwise."""
    try:
        return encode_plan(plan, ids)
    except PlanError as e:
        raise InputError(str(e)) from None


def send(lk: Link, data: bytes) -> None:
    try:
        lk.request(Cmd.PUT_PLAN, data)
    except LinkError as e:
        raise refused(e) from None


def put_plan(lk: Link, plan: Plan) -> bytes:
    """Store `plan` against the table the device holds; returns the bytes sent."""
    info = lk.info()
    if not protocol_ids(info):
        raise InputError("the device has no protocols yet: flash a table first")
    data = plan_bytes(plan, device_ids(info))
    send(lk, data)
    return data


def read_plan(lk: Link) -> Plan | None:
    info = lk.info()
    data = lk.request(Cmd.GET_PLAN)
    if not data:
        return None
    try:
        return decode_plan(data, {v: k for k, v in device_ids(info).items()})
    except PlanError as e:
        raise OntspanError(str(e)) from None


def clear_plan(lk: Link) -> None:
    try:
        lk.request(Cmd.CLEAR_PLAN)
    except LinkError as e:
        raise refused(e) from None


CLOCK_UNSET_TEXT = "the device clock is not set: reminders wait for it (ontspan clock --set)"
NO_MODULE_TEXT = (
    "the device has no battery-backed clock module: reminders need it to stay powered; "
    "unplugged, they wait until the clock is set again (ontspan clock --set). "
    "A DS3231 or PCF8563 module keeps the clock (README, Parts)"
)


def reminder_notes(lk: Link) -> list[str]:
    """What a therapist must know once a plan is on the device: reminders need the clock,
    and without a clock module the clock is gone when the device is unplugged."""
    notes = [] if lk.get_clock().is_set else [CLOCK_UNSET_TEXT]
    if not lk.status().flags & C.FLAG_RTC:
        notes.append(NO_MODULE_TEXT)
    return notes
