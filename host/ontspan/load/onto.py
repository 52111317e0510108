"""Protocols and plan onto the device in one load (the app's "Load onto the device").

Everything is checked before the first byte is sent: the protocols compile and the
plan names only protocols of this table. Then the table goes (the device keeps its
old one unless the new one commits whole), then the plan. `stage` tells the caller
which part is on its way, so a device lost half-way is reported truthfully.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..device.client import Link
from ..device.flash import Build, flash
from ..plan.model import Plan
from .plan import plan_bytes, send

STAGE_PROTOCOLS = "protocols"
STAGE_PLAN = "plan"


@dataclass(frozen=True)
class Loaded:
    device_id: str
    build: Build
    plan: Plan | None
    plan_size: int


def checked_plan(build: Build, plan: Plan | None) -> bytes:
    """The plan's bytes for this build's table (b"" for no plan); InputError when it
    names a protocol the build does not hold."""
    if plan is None:
        return b""
    return plan_bytes(plan, {p.name: p.id for p in build.protocols})


def load(lk: Link, build: Build, plan: Plan | None,
         progress: Callable[[int, int], None] | None = None,
         stage: Callable[[str], None] = lambda _s: None) -> Loaded:
    data = checked_plan(build, plan)
    stage(STAGE_PROTOCOLS)
    dev_id = flash(lk, build, progress)
    if plan is not None:
        stage(STAGE_PLAN)
        send(lk, data)
    return Loaded(dev_id, build, plan, len(data))
