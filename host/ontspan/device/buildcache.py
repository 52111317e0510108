"""The tables `ontspan flash` compiled lately, kept on this computer: flashing the same
protocol files again skips the checker and the compiler, whose code alone takes longer
to load than the link takes to send the table.

An entry is found by a SHA-256 of the ontspan version, of the code that turns protocol
files into a table (`ontspan/protocols/*.py` and the contract) and of every file's path
and bytes: an edited protocol or another ontspan compiles afresh. It holds the table,
the names the names store gets and the warnings the check printed (said again on a
hit); files with errors are never kept. A table whose own CRC-32 does not match is no
entry (a damaged cache compiles afresh), and a cache that cannot be read or written
only costs the compile.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import __version__
from ..catalog import expand_paths
from ..paths import FIRMWARE_DIR
from .names import data_dir

KEEP = 8  # entries: a therapist's few tables (one per patient, the library)


def _file() -> Path:
    return data_dir() / "flash-cache.json"


def key(paths: Iterable[str | Path]) -> str | None:
    """The entry's key for these protocol files (None when one cannot be read: the
    compile then says what is wrong with it)."""
    h = hashlib.sha256()
    h.update(__version__.encode())
    # what makes a table: the contract and the host's protocol code
    code = [FIRMWARE_DIR / "contract.py", *sorted((Path(__file__).parents[1] / "protocols").glob("*.py"))]
    try:
        for f in code + expand_paths(paths):
            h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
    except OSError:
        return None
    return h.hexdigest()


def _entries() -> dict[str, Any]:
    try:
        doc = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def load(k: str) -> tuple[bytes, dict[str, Any], list[str]] | None:
    """(table, names, warnings) kept under k, or None."""
    e = _entries().get(k)
    try:
        table = bytes.fromhex(e["table"])  # type: ignore[index]
        names, warnings = e["names"], e["warnings"]  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None
    if len(table) < 8 or zlib.crc32(table[:-4]) != int.from_bytes(table[-4:], "little"):
        return None
    if not isinstance(names, dict) or not isinstance(warnings, list):
        return None
    return table, names, [str(w) for w in warnings]


def store(k: str, table: bytes, names: dict[str, Any], warnings: list[str]) -> None:
    """Keep a table under k (the newest KEEP entries stay); failing only loses the cache."""
    entries = _entries()
    entries.pop(k, None)
    entries[k] = {"table": table.hex(), "names": names, "warnings": warnings}
    doc = dict(list(entries.items())[-KEEP:])
    path = _file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
