"""A patient's own protocols: TOML files in a folder beside the archive, one folder
per patient (`protocols/patient-<id>/` next to the archive file), so they are
plain files a therapist can also open, check, flash and keep in a backup."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from .store import default_path

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # the language's protocol names


def protocols_dir(archive_path: str | Path | None, patient_id: int) -> Path:
    archive = Path(archive_path) if archive_path is not None else default_path()
    return archive.parent / "protocols" / f"patient-{patient_id}"


def patient_protocols(folder: Path) -> list[Path]:
    """The patient's protocol files, by name."""
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def protocol_file(folder: Path, name: str) -> Path:
    """The file of the patient's protocol `name` (a slug: no path can hide in it)."""
    if not SLUG.match(name) or len(name) > 40:
        raise InputError(f"protocol name {name!r}: use lowercase letters, digits and single "
                         "hyphens, at most 40 (as `name` in a protocol file)")  # fmt: skip
    return folder / f"{name}.toml"
