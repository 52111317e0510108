"""The flash workflow: check and compile protocols, upload (the device verifies the CRC),
and remember the names. The CLI (`ontspan flash`) only prints around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, OntspanError
from ..protocols.checker import Diagnostic
from ..protocols.compiler import compile_table, table_crc, table_names
from ..protocols.files import check_paths
from ..protocols.model import Protocol
from ..shared import C
from .client import Link
from .codec import Cmd, Status
from .names import device_id_of, save_names
from .replies import TABLE_REFUSALS, LinkError, parse_info


@dataclass(frozen=True)
class Build:
    """A table ready to flash and what the device will not store about it."""

    protocols: tuple[Protocol, ...]
    table: bytes
    crc: str
    names: dict[str, Any]

    def listing(self) -> str:
        return ", ".join(f"{p.name} ({p.id})" for p in sorted(self.protocols, key=lambda p: p.id))


def build(
    paths: Iterable[str | Path], report: Callable[[Diagnostic], None] = lambda d: None
) -> Build:
    """Check and compile; InputError (after reporting each diagnostic) on any error."""
    protos, diags = check_paths(paths)
    for d in diags:
        report(d)
    if any(d.severity == "error" for d in diags):
        raise InputError("not flashed: fix the errors above (`ontspan check` shows them too)")
    return build_from(protos)


def build_from(protos: Sequence[Protocol]) -> Build:
    table = compile_table(protos)
    return Build(tuple(protos), table, table_crc(table), table_names(protos))


def flash(lk: Link, b: Build, progress: Callable[[int, int], None] | None = None) -> str:
    """Set the clock, upload, store the names; returns the device id.
    OntspanError in the therapist's words when anything fails (the old table stays).

    Round trips: one. SET_CLOCK, INFO (the device id), BEGIN, the CHUNKs and COMMIT go
    together and the device answers each in order (Link.put_table_after; should the
    upload fall out of step, it is sent again one request at a time). No read-back:
    BEGIN carries the table's CRC-32 and COMMIT is refused (ERR_TABLE_CRC) unless the
    bytes the device received have it, so an OK commit is the verification."""
    try:
        # every visit to the therapist's laptop sets the device clock; INFO is asked for
        # the device id alone, so the device does not re-measure its heap and flash for it
        _, info = lk.put_table_after(
            [(Cmd.SET_CLOCK, lk.clock_payload()), (Cmd.INFO, bytes([C.INFO_AS_KEPT]))],
            b.table, progress=progress,
        )
        dev_id = device_id_of(parse_info(info))
    except LinkError as e:
        raise OntspanError(upload_refused(e)) from e
    save_names(dev_id, b.crc, b.names)
    return dev_id


def upload_refused(e: LinkError) -> str:
    """Upload failures in the therapist's words; the old table always stays."""
    keep = "; the device keeps its previous table"
    if e.status == Status.ERR_TABLE_REFUSED and e.detail:
        code = e.detail[0]
        why = TABLE_REFUSALS.get(code, "unknown check")
        return f"upload refused: the device's table check failed on {why} (error {code}){keep}"
    if e.status == Status.ERR_BUSY:
        return (
            "upload refused: a session is playing, paused or waiting for a rating; "
            f"stop it first (`ontspan stop`){keep}"
        )
    if e.status == Status.ERR_TOO_LARGE:
        return f"upload refused: {e}{keep}"
    return f"upload failed: {e}{keep}"
