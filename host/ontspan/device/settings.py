"""Changing the device's configuration (night hours, strength, ...): checked against
what the device has, refused in the therapist's words. `ontspan config set` and the
app's device panel both call `set_config`."""

from __future__ import annotations

from typing import Any

from ..errors import InputError, OntspanError
from .client import Link
from .codec import Status
from .replies import LinkError


def set_config(lk: Link, values: dict[str, int]) -> dict[str, Any]:
    """Store `values` on the device; returns its configuration after. Nothing changes
    unless every value is taken (the device checks them all before storing any)."""
    current = lk.get_config()
    unknown = [k for k in values if k not in current]
    if unknown:
        raise InputError(
            f"unknown setting {unknown[0]!r}; the device has: {', '.join(sorted(current))}"
        )
    try:
        lk.set_config(values)
    except LinkError as e:
        if e.status == Status.ERR_BUSY:
            raise OntspanError(
                "config not changed: a session is playing, paused or waiting for a "
                "rating; stop it first (`ontspan stop`)"
            ) from e
        if e.status == Status.ERR_VALUE:
            key = e.detail.decode("utf-8", "replace")
            shown = f"{key}={values[key]}" if key in values else key
            raise InputError(
                f"the device refused {shown} (outside its allowed range); nothing was changed"
            ) from e
        raise
    return lk.get_config()
