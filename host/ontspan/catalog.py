"""The standard protocol library (package data `ontspan.library`), found by name.

`pmr-17` on the command line means the library's pmr-17.toml unless a file or
folder of that name exists here: a therapist's own file always wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .paths import PROTOCOLS_DIR


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories become their *.toml files in name order; a name that is
    no file here is looked up in the standard library (`pmr-17`)."""
    out: list[Path] = []
    for p in paths:
        path = resolve(p)
        found = sorted(path.glob("*.toml")) if path.is_dir() else [path]
        out.extend(f for f in found if f not in out)
    return out


def library_files() -> list[Path]:
    """The library's protocol files, in name order."""
    return sorted(PROTOCOLS_DIR.glob("*.toml"))


def library_names() -> list[str]:
    return [p.stem for p in library_files()]


def find(name: str) -> Path | None:
    """The library file called `name` (with or without .toml), or None."""
    stem = name[:-5] if name.endswith(".toml") else name
    if not stem or "/" in stem or "\\" in stem:
        return None
    path = PROTOCOLS_DIR / f"{stem}.toml"
    return path if path.is_file() else None


def resolve(arg: str | Path) -> Path:
    """A path as given if it exists, else the library protocol of that name, else the path."""
    path = Path(arg)
    if path.exists():
        return path
    return find(str(arg)) or path


def did_you_mean(name: str, names: list[str] | None = None) -> str:
    """"; did you mean pmr-kort?" for a typo of a library name (or of `names`), else ""."""
    stem = name[:-5] if name.endswith(".toml") else name
    import difflib  # here: only a name not found needs it

    close = difflib.get_close_matches(stem, library_names() if names is None else names, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def missing(arg: str) -> str:
    """Why `arg` names nothing: no file, and (for a bare name) no library protocol."""
    if "/" in arg or "\\" in arg:
        return "no such file"
    hint = did_you_mean(arg) or " (`ontspan library` lists them)"
    return f"no such file, nor a library protocol of that name{hint}"
