"""Values written into a tomlkit document the way a hand would: numbers as typed
(5, not 5.0), a new key beside its kin (hold_s after in_s), a table inside a new
block inline. Used by the protocol draft (editing.py)."""

from __future__ import annotations

import tomllib
from typing import Any

from tomlkit import inline_table
from tomlkit.items import AoT, Item, Table

from .form import BOOL, GROUP, INT, NUMBER, PATTERN, RAMP, SECONDS, STYLE, TOP, Spec, spec_at
from .positions import KeyPath

BLOCK_ORDER = ("type", "label", "tense_s", "feet_tense_s", "feel_s", "reps", "in_s", "hold_s", "out_s",
               "pause_s", "minutes", "seconds", "cycles", "belly", "prompt", "count")  # fmt: skip


def key_order(data: dict[str, Any], key: KeyPath) -> list[str]:
    """The language's key order of the table holding `key` (for a key added to it)."""
    out = []
    for name in (*BLOCK_ORDER, *GROUP, *RAMP, *STYLE, *TOP):
        if spec_at(data, key[:-1] + (name,)) is not None and name not in out:
            out.append(name)
    return out


def add_in_order(table: Any, name: str, v: Any, order: list[str]) -> None:
    """A new key goes after the last key that comes before it in the language's
    order (hold_s after in_s), else after the table's last plain value."""
    before = order[: order.index(name)] if name in order else order
    keys = [str(k) for k in table if not isinstance(table[k], Table | AoT)]
    prev = next((k for k in reversed(keys) if k in before), None)
    if prev is not None and prev != keys[-1]:
        try:
            table.value._insert_after(prev, name, v)  # tomlkit's own insert
            return
        except (AttributeError, KeyError, ValueError):
            pass
    table[name] = v


def inline(v: Any) -> Any:
    """A table inside a new block (a ramp) is written inline, as the library does."""
    if isinstance(v, dict):
        t = inline_table()
        t.update(v)
        return t
    return v


def plain(v: Any) -> Any:
    return v.unwrap() if isinstance(v, Item) else v


def coerce(spec: Spec, value: Any) -> Any:
    """The value to write for what was typed: numbers as numbers (a whole number
    without ".0"), true/false as booleans, a pattern as [[level, ms], ...]; anything
    else is written as given, so the checker names what is wrong with it."""
    if not isinstance(value, str):
        if isinstance(value, float) and value.is_integer() and spec.kind in (SECONDS, NUMBER):
            return int(value)
        return value
    text = value.strip()
    if spec.kind in (INT, SECONDS, NUMBER):
        try:
            return int(text)
        except ValueError:
            pass
        try:
            f = float(text)
        except ValueError:
            return value
        return int(f) if f.is_integer() and spec.kind != INT else f
    if spec.kind == BOOL and text in ("true", "false"):
        return text == "true"
    if spec.kind == PATTERN and text.startswith("["):
        try:
            return tomllib.loads(f"p = {text}")["p"]
        except tomllib.TOMLDecodeError:
            return value
    return value
