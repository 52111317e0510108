"""The flash workflow: check and compile protocols, upload (the device verifies the CRC),
and remember the names. The CLI (`ontspan flash`) only prints around it.

The checker and compiler load only when a table is compiled: `build_cached` takes the
same files' table from the build cache (buildcache.py) when it has it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, OntspanError
from ..shared import C
from . import buildcache
from .client import Link
from .codec import Cmd, Status
from .names import device_id_of, save_names
from .replies import TABLE_REFUSALS, LinkError, parse_info

if TYPE_CHECKING:
    from ..protocols.checker import Diagnostic
    from ..protocols.model import Protocol


@dataclass(frozen=True)
class Build:
    """A table ready to flash and what the device will not store about it."""

    protocols: tuple[Protocol, ...]  # empty when the table came from the build cache
    table: bytes
    crc: str
    names: dict[str, Any]  # by id (str): what table_names() gives the names store

    @property
    def count(self) -> int:
        return len(self.names)

    def listing(self) -> str:
        ids = sorted(self.names, key=int)
        return ", ".join(f"{self.names[i]['name']} ({i})" for i in ids)


def build(
    paths: Iterable[str | Path], report: Callable[[Diagnostic], None] = lambda d: None
) -> Build:
    """Check and compile; InputError (after reporting each diagnostic) on any error."""
    from ..protocols.files import check_paths

    protos, diags = check_paths(paths)
    for d in diags:
        report(d)
    if any(d.severity == "error" for d in diags):
        raise InputError("not flashed: fix the errors above (`ontspan check` shows them too)")
    return build_from(protos)


def build_from(protos: Sequence[Protocol]) -> Build:
    from ..protocols.compiler import compile_table, table_crc, table_names

    table = compile_table(protos)
    return Build(tuple(protos), table, table_crc(table), table_names(protos))


def build_cached(paths: Iterable[str | Path], say: Callable[[str], None] = lambda s: None) -> Build:
    """build() for `ontspan flash`: the table of the same files (the same ontspan) from
    the build cache, its warnings said again; else checked, compiled and kept there."""
    paths = list(paths)
    k = buildcache.key(paths)
    hit = buildcache.load(k) if k else None
    if hit:
        table, names, said = hit
        for w in said:
            say(w)
        return Build((), table, f"{int.from_bytes(table[-4:], 'little'):08x}", names)
    warnings: list[str] = []

    def report(d: Diagnostic) -> None:
        warnings.append(str(d))
        say(str(d))

    b = build(paths, report)
    if k:
        buildcache.store(k, b.table, b.names, warnings)
    return b


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
