"""Where keys are in a TOML source: key path -> line, for diagnostics.

tomllib gives values without positions; this is a best-effort reading of
TOML's line structure (tables, arrays of tables, inline arrays, multi-line
strings), good enough to point a therapist at the right line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

KeyPath = tuple[str | int, ...]


def locate_keys(text: str) -> dict[KeyPath, int]:
    """Map key paths to source lines; a best-effort reading of TOML's line structure."""
    lines: dict[KeyPath, int] = {}
    arrays: dict[KeyPath, int] = {}
    current: KeyPath = ()
    in_string: str | None = None
    array_path: KeyPath | None = None
    depth = 0
    item = -1

    def segs(raw: str) -> list[str]:
        return [s.strip().strip("\"'") for s in raw.split(".")]

    def resolve(parts: Sequence[str]) -> KeyPath:
        out: list[str | int] = []
        for s in parts:
            out.append(s)
            if tuple(out) in arrays:
                out.append(arrays[tuple(out)] - 1)
        return tuple(out)

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        if array_path is not None:
            if depth == 1 and line[:1] in ("{", '"', "'") or line[:1].isdigit():
                item += 1
                lines.setdefault(array_path + (item,), lineno)
                for m in re.finditer(r"([A-Za-z0-9_-]+)\s*=", line):
                    lines.setdefault(array_path + (item, m.group(1)), lineno)
            depth += _bracket_depth(line)
            if depth <= 0:
                array_path = None
            continue
        aot = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", line)
        if aot:
            parts = segs(aot.group(1))
            key = resolve(parts[:-1]) + (parts[-1],)
            arrays[key] = arrays.get(key, 0) + 1
            current = key + (arrays[key] - 1,)
            lines.setdefault(key, lineno)
            lines[current] = lineno
            continue
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = resolve(segs(header.group(1)))
            lines.setdefault(current, lineno)
            continue
        kv = re.match(r"^([A-Za-z0-9_\-.\"' ]+?)\s*=\s*(.*)$", line)
        if not kv:
            continue
        path = current + tuple(segs(kv.group(1)))
        lines.setdefault(path, lineno)
        value = kv.group(2)
        for quote in ('"""', "'''"):
            if value.count(quote) % 2 == 1:
                in_string = quote
        if value.startswith("[") and _bracket_depth(value) > 0:
            array_path, depth, item = path, _bracket_depth(value), -1
    return lines


def _bracket_depth(text: str) -> int:
    text = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'|#.*$", "", text)
    return text.count("[") + text.count("{") - text.count("]") - text.count("}")
