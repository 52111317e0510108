"""Editing a protocol file without touching TOML: a draft of one file, edited
field by field, saved only when `ontspan check` would pass it (docs/builder.md).

The file stays the truth. The draft holds the file's tomlkit document, so a
round trip keeps comments, key order and layout; an edit changes the value it
names and nothing else (a value set to what it already is writes nothing).
Saving checks the text with the checker `ontspan check` uses and refuses on
any error, giving the checker's own diagnostics; a file changed on disk since
it was read (a hand edit meanwhile) is never overwritten.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Array, InlineTable, Item, Table

from ..errors import InputError
from . import breathing
from .checker import Diagnostic, format_key
from .files import check_source
from .form import (
    BLOCKS,
    EXCLUSIVE,
    NUMBER,
    Form,
    Spec,
    parse_key,
    read_form,
    spec_at,
)
from .model import Protocol
from .parser import read_source
from .positions import KeyPath
from .tomledit import add_in_order, coerce, inline, key_order, plain


class SaveRefused(InputError):
    """The checker refuses the draft: `diagnostics` are its words."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__(str(errors[0]) if errors else "the checker refuses this protocol")


class HandEdited(InputError):
    """The file changed on disk after the draft read it."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Draft:
    """One protocol file being edited. `base` is the file it was read from (None for
    a new copy), `base_hash` its content hash when read."""

    doc: tomlkit.TOMLDocument
    base: Path | None = None
    base_hash: str | None = None

    @classmethod
    def from_text(cls, text: str, base: Path | None = None) -> Draft:
        try:
            doc = tomlkit.parse(text)
        except Exception as e:  # tomlkit raises many kinds; the checker words them
            _, diags = check_source(text, str(base or "<draft>"))
            raise SaveRefused(diags) from e
        h = digest(text.encode("utf-8")) if base is not None else None
        return cls(doc, base, h)

    @classmethod
    def load(cls, path: str | Path) -> Draft:
        text, diags = read_source(path)
        if text is None:
            raise SaveRefused(diags)
        return cls.from_text(text, Path(path))

    @classmethod
    def copy_of(cls, path: str | Path) -> Draft:
        """A library protocol (or any file) as the start of a new one: saved elsewhere."""
        draft = cls.load(path)
        draft.base = draft.base_hash = None
        return draft

    # -- reading

    @property
    def text(self) -> str:
        return self.doc.as_string()

    def data(self) -> dict[str, Any]:
        """Plain values, as the checker reads them."""
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError:
            return {}

    def form(self) -> Form:
        return read_form(self.data())

    def check(self, path: str | Path | None = None) -> tuple[Protocol | None, list[Diagnostic]]:
        """What `ontspan check` says of the draft, as the file `path` would be."""
        where = path or self.base or "<draft>"
        return check_source(self.text, str(where))

    # -- edits

    def set(self, key: str | KeyPath, value: Any) -> None:
        """Set one field to `value` (a typed value, or the text the therapist typed).
        Only fields the language has; the value itself is the checker's to judge."""
        k = parse_key(key) if isinstance(key, str) else tuple(key)
        spec = spec_at(self.data(), k)
        if spec is None:
            raise InputError(f"{format_key(k)}: the protocol language has no such field here")
        v = coerce(spec, value)
        if k[:2] == ("style", "haptic") and k[-1] == "preset":
            self._set_preset(v)
            return
        parent = self._container(k[:-1])
        name = str(k[-1])
        old = parent.get(name)
        if old is not None and plain(old) == v and type(plain(old)) is type(v):
            return  # unchanged: the file keeps its bytes
        for group in EXCLUSIVE:
            if name in group:
                for other in group:
                    if other != name and other in parent:
                        del parent[other]
        if name in parent:
            parent[name] = v
        else:
            add_in_order(parent, name, v, list(key_order(self.data(), k)))

    def clear(self, key: str | KeyPath) -> None:
        """Leave a field out of the file: the language's default applies."""
        k = parse_key(key) if isinstance(key, str) else tuple(key)
        if spec_at(self.data(), k) is None:
            raise InputError(f"{format_key(k)}: the protocol language has no such field here")
        parent = self._container(k[:-1], create=False)
        if parent is not None and str(k[-1]) in parent:
            del parent[str(k[-1])]

    def add_block(self, btype: str, values: dict[str, Any], at: str | KeyPath = "block",
                  index: int | None = None) -> None:  # fmt: skip
        """A new block of `btype` with `values` (e.g. groups, in_s), in the array at `at`."""
        if btype not in BLOCKS:
            raise InputError(f"block type {btype!r}; allowed: {', '.join(BLOCKS)}")
        arr = self._array(at)
        t = tomlkit.table()
        t["type"] = btype
        for name, v in values.items():
            t[name] = inline(v)
        if index is None or index >= len(arr):
            if len(arr) and not self.text.endswith("\n\n"):
                t.trivia.indent = "\n"  # a blank line before it, as written by hand
            arr.append(t)
        else:
            t.add(tomlkit.nl())  # a blank line before the next [[block]]
            arr.insert(index, t)

    def remove(self, key: str | KeyPath) -> None:
        """Drop an item of an array: a block (`block[2]`) or a group (`block[0].groups[1]`)."""
        k = parse_key(key) if isinstance(key, str) else tuple(key)
        if not k or not isinstance(k[-1], int) or k[-2] not in ("block", "blocks", "groups"):
            raise InputError(f"{format_key(k)}: only blocks and groups can be removed")
        arr = self._array(k[:-1])
        if not 0 <= k[-1] < len(arr):
            raise InputError(f"{format_key(k)}: there is no such item")
        del arr[k[-1]]

    def move(self, key: str | KeyPath, to: int) -> None:
        """Move a block or a group to position `to` of its array."""
        k = parse_key(key) if isinstance(key, str) else tuple(key)
        arr = self._array(k[:-1])
        i = k[-1]
        if not isinstance(i, int) or not 0 <= i < len(arr) or not 0 <= to < len(arr):
            raise InputError(f"{format_key(k)}: cannot move to {to}")
        item = plain(arr[i]) if isinstance(arr, Array) else arr[i]
        del arr[i]
        arr.insert(to, item)

    def add_group(self, block: str | KeyPath, group: str | dict[str, Any],
                  index: int | None = None) -> None:  # fmt: skip
        """A group (a letter a..q, or a table with `name`) into a pmr block's `groups`."""
        k = parse_key(block) if isinstance(block, str) else tuple(block)
        arr = self._array(k + ("groups",))
        item: Any = group
        if isinstance(group, str) and isinstance(arr, AoT):
            group = {"standard": group}  # [[block.groups]] holds tables only
        if isinstance(group, dict) and isinstance(arr, Array):
            item = tomlkit.inline_table()
            item.update(group)
        elif isinstance(group, dict):
            item = tomlkit.table()
            item.update(group)
            item.add(tomlkit.nl())
        if index is None or index >= len(arr):
            arr.append(item)
        else:
            arr.insert(index, item)

    def set_breath(self, block: str | KeyPath, *, notation: str | None = None,
                   unit_s: float | str | None = None, bpm: float | str | None = None) -> None:  # fmt: skip
        """A breathing block's phases from the short notation ("4-7-8"), times `unit_s`
        seconds per unit, or scaled to `bpm` breaths per minute (proportions kept).
        With a ramp the phases are proportions and `bpm` is not theirs to set."""
        k = parse_key(block) if isinstance(block, str) else tuple(block)
        t = self._container(k, create=False)
        if t is None or plain(t.get("type")) != "breath":
            raise InputError(f"{format_key(k)}: not a breathing block")
        if notation is not None:
            ratio = breathing.parse_notation(notation)
        else:
            now = [plain(t.get(p, 0)) for p in breathing.PHASES]
            ratio = breathing.parse_notation("-".join(str(x) for x in now))
        phases: tuple[Any, ...] = tuple(ratio)
        if unit_s is not None:
            unit = coerce(Spec("unit", NUMBER), unit_s)
            if not isinstance(unit, int | float) or isinstance(unit, bool):
                raise InputError(f"{unit_s!r} seconds per unit: give a number, e.g. 1 or 0.5")
            phases = breathing.scaled(ratio, Fraction(str(unit)))
        if bpm is not None:
            rate = coerce(Spec("bpm", NUMBER), bpm)
            if not isinstance(rate, int | float) or isinstance(rate, bool):
                raise InputError(f"{bpm!r} breaths per minute: give a number, e.g. 6")
            if "ramp" in t:
                raise InputError(f"{format_key(k)}: with a ramp, set its from_bpm and to_bpm")
            phases = breathing.at_rate([Fraction(str(p)) for p in phases], rate)
        for name, v in zip(breathing.PHASES, phases, strict=True):
            v = int(v) if isinstance(v, Fraction) and v.denominator == 1 else v
            v = float(v) if isinstance(v, Fraction) else v
            if v or name in t:
                self.set(k + (name,), v)

    # -- saving

    def save(self, path: str | Path | None = None) -> list[Diagnostic]:
        """Write the draft to `path` (default: the file it came from) when the checker
        passes it; its warnings are returned. Refuses (SaveRefused) on errors, and
        (HandEdited) when the file on disk is not the one the draft read."""
        target = Path(path) if path is not None else self.base
        if target is None:
            raise InputError("a new protocol needs a file to be saved as")
        proto, diags = self.check(target)
        if proto is None:
            raise SaveRefused(diags)
        self._guard(target)
        data = self.text.encode("utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
        self.base, self.base_hash = target, digest(data)
        return diags

    def _guard(self, target: Path) -> None:
        if not target.exists():
            if target == self.base:
                raise HandEdited(f"{target}: the file was removed after it was opened; "
                                 "save it under another name or open it again")  # fmt: skip
            return
        if target != self.base:
            raise HandEdited(f"{target}: a file of that name exists; open it to edit it")
        if digest(target.read_bytes()) != self.base_hash:
            raise HandEdited(f"{target}: the file was changed after it was opened (by hand?); "
                             "open it again to see those changes, then edit")  # fmt: skip

    # -- the tomlkit document

    def _container(self, key: KeyPath, create: bool = True) -> Any:
        """The table at `key`, made when missing (`style`, `style.day`, a `ramp`); a
        group written as a letter becomes a table with `standard`, a haptic preset
        name a table with `preset`."""
        node: Any = self.doc
        for i, part in enumerate(key):
            if isinstance(part, int):
                arr = node
                item = arr[part]
                if isinstance(item, str | Item) and isinstance(plain(item), str):
                    t = tomlkit.inline_table()
                    t["standard"] = plain(item)
                    arr[part] = t
                    item = arr[part]
                node = item
                continue
            nxt = node.get(part)
            if nxt is None:
                if not create:
                    return None
                inline = i > 0 and key[i - 1] != "style" and part != "style"
                node[part] = tomlkit.inline_table() if inline or part == "ramp" else tomlkit.table()
                nxt = node[part]
            elif part == "haptic" and isinstance(plain(nxt), str):
                t = tomlkit.inline_table()  # a preset gets per-cue patterns beside it
                t["preset"] = plain(nxt)
                node[part] = t
                nxt = node[part]
            node = nxt
        return node

    def _array(self, key: str | KeyPath) -> Any:
        k = parse_key(key) if isinstance(key, str) else tuple(key)
        arr = self._container(k[:-1]).get(str(k[-1])) if len(k) > 1 else self.doc.get(str(k[0]))
        if not isinstance(arr, AoT | Array | list):
            raise InputError(f"{format_key(k)}: not a list of blocks or groups")
        return arr

    def _set_preset(self, v: Any) -> None:
        style = self._container(("style",))
        h = style.get("haptic")
        if isinstance(h, Table | InlineTable):
            if plain(h.get("preset")) != v:
                h["preset"] = v
        elif plain(h) != v:
            style["haptic"] = v
