"""What a flashed table's ids mean, kept on this computer.

The device stores protocol ids only; `flash` records the names, titles and
block labels of each table here, keyed by device id and checked by table CRC,
so `start NAME`, `status` and the log reports can speak in names.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from ..errors import InputError
from ..shared import C


def data_dir() -> Path:
    """$ONTSPAN_DATA, else the user data folder (names of flashed protocols live here)."""
    env = os.environ.get("ONTSPAN_DATA")
    if env:
        return Path(env)
    return Path(user_data_dir("ontspan", appauthor=False))


def _names_file(device_id: str) -> Path:
    safe = re.sub(r"[^0-9A-Za-z_-]", "_", device_id) or "unknown"
    return data_dir() / "devices" / f"{safe}.names.json"


def save_names(device_id: str, crc: str, names: dict[str, Any]) -> None:
    """Remember what a table's ids mean; a failure only warns (the flash succeeded)."""
    path = _names_file(device_id)
    doc = json.dumps({"crc": crc, "names": names}, indent=1, ensure_ascii=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(doc + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        print(f"ontspan: warning: cannot store protocol names in {path}: {e}", file=sys.stderr)


def load_names(device_id: str, crc: str | None) -> dict[str, Any]:
    """Names for the table with `crc` on this device; {} when unknown or for another table."""
    try:
        doc = json.loads(_names_file(device_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or crc is None or doc.get("crc") != crc:
        return {}
    names = doc.get("names")
    return names if isinstance(names, dict) else {}


# --- reading INFO ------------------------------------------------------------------


def table_crc_of(info: dict[str, Any]) -> str | None:
    """The live table's CRC from an INFO reply (replies.parse_info), 8 hex digits; None without a table."""
    crc: str | None = info["table"]["crc"]
    return crc


def protocol_ids(info: dict[str, Any]) -> list[int]:
    return [int(i) for i in info["protocols"]]


def device_id_of(info: dict[str, Any]) -> str:
    return str(info["device_id"])


def named(pid: int, names: dict[str, Any]) -> dict[str, Any]:
    """{id, name, title} for one protocol id; name and title None when unknown."""
    entry = names.get(str(pid))
    if isinstance(entry, dict):
        return {"id": pid, "name": entry.get("name"), "title": entry.get("title")}
    return {"id": pid, "name": None, "title": None}


def names_for(info: dict[str, Any]) -> dict[str, Any]:
    """The names known here for the table an INFO reply describes."""
    return load_names(device_id_of(info), table_crc_of(info))


def resolve(target: str, names: dict[str, Any], ids: list[int]) -> int:
    """A protocol id from a number or a name flashed from this computer."""
    if target.isdigit():
        pid = int(target)
        if not C.PROTOCOL_ID_MIN <= pid <= C.PROTOCOL_ID_MAX:
            raise InputError(
                f"protocol id {pid} is outside {C.PROTOCOL_ID_MIN}..{C.PROTOCOL_ID_MAX}"
            )
        return pid
    for key, entry in names.items():
        if isinstance(entry, dict) and entry.get("name") == target and key.isdigit():
            return int(key)
    if names:
        known = ", ".join(
            f"{e.get('name')} ({k})"
            for k, e in sorted(names.items(), key=lambda kv: int(kv[0]))
            if isinstance(e, dict)
        )
        raise InputError(f"no protocol named {target!r} on the device; it has: {known}")
    raise InputError(
        f"protocol names for this device's table are unknown here (flashed from another "
        f"computer?): start it by id ({', '.join(map(str, ids)) or 'no protocols loaded'}) "
        "or flash it from here"
    )


def archive_names(info: dict[str, Any]) -> dict[int, dict[int, str]]:
    """{table CRC: {protocol id: name}} of the device's current table, as `flash`
    remembered it: what a pull stores beside the records."""
    crc = table_crc_of(info)
    names = load_names(device_id_of(info), crc)
    if not crc or not names:
        return {}
    ids = {int(pid): str(entry.get("name", pid)) for pid, entry in names.items() if isinstance(entry, dict)}
    return {int(crc, 16): ids}
