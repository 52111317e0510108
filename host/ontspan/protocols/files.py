"""Several protocol files at once: paths, per-file checks, checks across files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["check_paths", "check_source", "expand_paths"]

from ..catalog import expand_paths
from .checker import Checker, Diagnostic
from .compiler import CompileError, compile_table
from .model import Protocol
from .parser import load_protocol, parse_protocol, read_source


def check_paths(
    paths: Iterable[str | Path], *, table: bool = True
) -> tuple[list[Protocol], list[Diagnostic]]:
    """Check files one by one, then across files (unique ids and names, table limits)."""
    protos: list[Protocol] = []
    diags: list[Diagnostic] = []
    files = expand_paths(paths)
    if not files:
        diags.append(Diagnostic("error", "(input)", None, "", "no protocol files given or found"))
    for f in files:
        proto, d = load_protocol(f)
        diags.extend(d)
        if proto is not None:
            protos.append(proto)
    diags.extend(_cross(protos))
    if table and protos and not any(d.severity == "error" for d in diags):
        diags.extend(_table_limits(protos))
    return protos, diags


def check_source(text: str, path: str) -> tuple[Protocol | None, list[Diagnostic]]:
    """One protocol's text as `ontspan check` checks that one file: the file's own
    checks, then the table limits; the protocol is None when there is any error."""
    proto, diags = parse_protocol(text, path)
    if proto is not None and not any(d.severity == "error" for d in diags):
        diags = diags + _table_limits([proto])
    if any(d.severity == "error" for d in diags):
        return None, diags
    return proto, diags


def _cross(protos: Sequence[Protocol]) -> list[Diagnostic]:
    out = []
    seen_id: dict[int, Protocol] = {}
    seen_name: dict[str, Protocol] = {}
    for p in protos:
        ck = Checker(p.path, _safe_text(p.path))
        if p.id in seen_id:
            q = seen_id[p.id]
            ck.error(("id",), f"id {p.id} is already used by {q.name!r} ({q.path}); ids are unique")
        if p.name in seen_name:
            q = seen_name[p.name]
            ck.error(("name",), f"name {p.name!r} is already used in {q.path}; names are unique")
        seen_id.setdefault(p.id, p)
        seen_name.setdefault(p.name, p)
        out.extend(ck.diags)
    return out


def _safe_text(path: str) -> str:
    text, _ = read_source(path)
    return text or ""


def _table_limits(protos: Sequence[Protocol]) -> list[Diagnostic]:
    try:
        compile_table(protos)
    except CompileError as e:
        return [Diagnostic("error", "(table)", None, "", str(e))]
    return []
