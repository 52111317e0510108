"""`ontspan library` and `ontspan new`: the standard protocols, and a copy to adapt."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .. import catalog
from ..errors import EXIT_OK, InputError
from ..plan.ratings import ASKS
from ..protocols.library import library_entries
from ..protocols.parser import load_protocol
from ..shared import C


def register(sub: Any) -> None:
    p = sub.add_parser(
        "library",
        help="list the standard protocols (name, kind, duration, what it rates, title)",
        description="The protocols shipped with ontspan. Use a name wherever a protocol file "
        "is asked for (ontspan check pmr-17, ontspan flash pmr-kort adem-4-6).",
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=cmd_library)

    p = sub.add_parser(
        "new",
        help="copy a library protocol to a file to adapt",
        description="Write NAME.toml (or the path given) from a library protocol, with the "
        "new name set, ready to adapt for one patient.",
    )
    p.add_argument("name", metavar="NAME", help="the new protocol's name, or a path ending in .toml")
    p.add_argument("--from", dest="source", required=True, metavar="LIBRARY_NAME",
                   help="the library protocol to start from, e.g. pmr-kort")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(handler=cmd_new)


def cmd_library(args: argparse.Namespace) -> int:
    rows = library_entries()
    if args.json:
        print(json.dumps([{"name": r.name, "id": r.id, "kind": r.kind, "minutes": r.minutes,
                           "asks": ASKS[r.rating], "title": r.title} for r in rows],
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    width = max(len(r.name) for r in rows)
    for r in rows:
        print(f"{r.name:<{width}}  {r.kind:<9}  {r.minutes:>5.1f} min  "
              f"rates {ASKS[r.rating]:<5}  {r.title}")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    src = catalog.find(args.source)
    if src is None:
        names = ", ".join(catalog.library_names())
        raise InputError(f"--from {args.source}: no such library protocol; choose one of {names}")
    dest = Path(args.name if args.name.endswith(".toml") else f"{args.name}.toml")
    name = dest.stem
    if dest.exists() and not args.force:
        raise InputError(f"{dest} exists; choose another name or add --force")
    pid = free_id([*catalog.library_files(), *dest.parent.glob("*.toml")])
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):  # top-level keys only; comments and layout stay
        if line.startswith("["):
            break
        if line.startswith("name ="):
            lines[i] = f'name = "{name}"\n'
        elif line.startswith("id ="):
            lines[i] = f"id = {pid}\n"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", encoding="utf-8", newline="") as f:
        f.writelines(lines)
    print(f"wrote {dest} (id {pid}) from {src.stem}; adapt it, then: ontspan check {dest}")
    return EXIT_OK


def free_id(files: list[Path]) -> int:
    """The lowest protocol id from 100 up that none of `files` uses, so the copy can be
    flashed beside the library and the therapist's other protocols."""
    used = set()
    for f in files:
        proto, _ = load_protocol(f)
        if proto is not None:
            used.add(proto.id)
    pid = 100
    while pid in used:
        pid += 1
    if pid > C.PROTOCOL_ID_MAX:
        raise InputError(f"no free protocol id left ({C.PROTOCOL_ID_MIN}-{C.PROTOCOL_ID_MAX}); "
                         "give the copy an id by hand")
    return pid
