"""The protocol language: one TOML file per protocol, checked into a `Protocol`.

Checking never raises: every problem, from a missing file to a tense time of
12 s, becomes a `Diagnostic` with the file, the line of the key (where the
source shows it) and the key path, and says what is wrong and what is allowed.
Errors are the hard limits of docs/table-format.md (the device refuses the
same values); warnings are the clinical recommendations. See docs/protocols.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .blocks import GroupNumbers, parse_blocks
from .checker import Checker, Diagnostic, show, toml_error
from .haptics import KIND_CODES, KINDS
from .model import (
    LIM_PROTOCOL_ID,
    MAX_BLOCKS,
    MAX_FILE_BYTES,
    MAX_SESSION_MS,
    RATINGS,
    Block,
    PmrBlock,
    Protocol,
    RepeatBlock,
    RestBlock,
    default_style,
    iter_blocks,
)
from .ops import MAX_PROGRAM_BYTES, encode_ops, protocol_ops
from .style import parse_style
from .timeline import END, END_MS, duration_ms, edges


def read_source(path: str | Path) -> tuple[str | None, list[Diagnostic]]:
    """The file's text, or why it cannot be read (missing, too big, not UTF-8)."""
    p = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        from ..catalog import missing

        return None, [Diagnostic("error", p, None, "", missing(p))]
    except OSError as e:
        return None, [Diagnostic("error", p, None, "", f"cannot read file: {e.strerror or e}")]
    return decode_source(data, p)


def decode_source(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    if len(data) > MAX_FILE_BYTES:
        msg = f"file is larger than {MAX_FILE_BYTES // 1024} KiB; a protocol file is far smaller"
        return None, [Diagnostic("error", path, None, "", msg)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        msg = f"not UTF-8 text (byte {e.start}); a protocol is a TOML text file"
        return None, [Diagnostic("error", path, None, "", msg)]
    return text, []


def parse_protocol(
    source: str | bytes, path: str = "<string>"
) -> tuple[Protocol | None, list[Diagnostic]]:
    """Check one protocol's TOML source; the protocol is None when there is any error."""
    if isinstance(source, bytes):
        text, diags = decode_source(source, path)
        if text is None:
            return None, diags
    else:
        text = source
    if len(text) > MAX_FILE_BYTES:
        msg = f"larger than {MAX_FILE_BYTES // 1024} KiB; a protocol file is far smaller"
        return None, [Diagnostic("error", path, None, "", msg)]
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as e:
        return None, [toml_error(e, text, path)]
    if "block" not in data and ("plan" in data or "moment" in data):
        return None, [Diagnostic("error", path, None, "", "this is a plan file ([plan] and "
                                 "[[moment]]), not a protocol: `ontspan plan set` takes it")]
    ck = Checker(path, text)
    try:
        proto = _protocol(ck, data)
        if proto is not None and not ck.failed:
            _whole(ck, proto)
    except RecursionError:
        ck.error((), "nested too deeply to check")
        proto = None
    diags = sorted(ck.diags, key=lambda d: d.line or 0)
    return (None if ck.failed else proto), diags


def load_protocol(path: str | Path) -> tuple[Protocol | None, list[Diagnostic]]:
    text, diags = read_source(path)
    if text is None:
        return None, diags
    return parse_protocol(text, str(path))


TOP_KEYS = ("id", "name", "title", "description", "language", "version", "rating", "style")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _protocol(ck: Checker, data: dict[str, Any]) -> Protocol | None:
    ck.keys(data, (), (*TOP_KEYS, "block"))
    for req in ("id", "name", "title", "block"):
        if req not in data:
            ck.error((), f"missing required key `{req}`")
    pid = ck.int_in(data, (), "id", *LIM_PROTOCOL_ID) if "id" in data else None
    name = ck.string(data, (), "name", 40) if "name" in data else None
    if name is not None and not SLUG.match(name):
        ck.error(
            ("name",),
            f"`name` is {name!r}; use a slug: lowercase letters, digits and single hyphens",
        )
    title = ck.string(data, (), "title", 80) if "title" in data else None
    if title is not None and not title.strip():
        ck.error(("title",), "`title` is empty; give the protocol a readable title")
    desc = ck.string(data, (), "description", 2000, multiline=True) if "description" in data else ""
    lang = ck.string(data, (), "language", 16) if "language" in data else "nl"
    if lang is not None and not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$", lang):
        ck.error(("language",), f"`language` is {lang!r}; use a language code such as 'nl'")
    version = ck.int_in(data, (), "version", 1, 65535) if "version" in data else 1
    rating = ck.choice(data, (), "rating", RATINGS) if "rating" in data else 0
    style = parse_style(ck, data["style"]) if "style" in data else default_style()
    blocks: tuple[Block, ...] = ()
    if "block" in data:
        raw = data["block"]
        if not isinstance(raw, list) or not raw:
            ck.error(
                ("block",),
                f"`block` must be an array of tables written as [[block]], got {show(raw)}",
            )
        else:
            blocks = parse_blocks(ck, raw, ("block",), 0, GroupNumbers())
    if ck.failed:
        return None
    assert pid is not None and name is not None and title is not None and style is not None
    return Protocol(
        id=pid,
        name=name,
        title=title,
        description=desc or "",
        language=lang or "nl",
        version=version or 1,
        rating=rating or 0,
        style=style,
        blocks=blocks,
        path=ck.path,
    )


def _ends_with_rest(blocks: Sequence[Block]) -> bool:
    last = blocks[-1]
    if isinstance(last, RepeatBlock):
        return _ends_with_rest(last.blocks)
    return isinstance(last, RestBlock)


def _patterns_fit(ck: Checker, proto: Protocol) -> None:
    """Warn when a motor pattern outlasts the shortest cue of its kind: the next
    edge cuts it short, so the patient never feels its end."""
    es = edges(proto)
    shortest = {END: END_MS}
    for a, b in zip(es, es[1:], strict=False):
        shortest[a.kind] = min(b.t_ms - a.t_ms, shortest.get(a.kind, b.t_ms - a.t_ms))
    for name in KINDS:
        p = proto.style.pattern_of(name)
        code = KIND_CODES[name]
        if p is None or code not in shortest:
            continue
        ms = sum(t for _, t in p)
        if ms > shortest[code]:
            ck.warn(
                ("style", "haptic", name),
                f"the {name} pattern lasts {ms} ms but the shortest {name} of this protocol "
                f"lasts {shortest[code]} ms; the next cue cuts it short: keep it shorter",
            )


def _whole(ck: Checker, proto: Protocol) -> None:
    n = sum(1 for _ in iter_blocks(proto.blocks))
    if n > MAX_BLOCKS:
        ck.error(("block",), f"{n} blocks; at most {MAX_BLOCKS} allowed (repeats count once)")
        return
    size = len(encode_ops(protocol_ops(proto)))
    if size > MAX_PROGRAM_BYTES:
        ck.error(("block",), f"the program is {size} bytes; at most {MAX_PROGRAM_BYTES} fit")
        return
    total = duration_ms(proto)
    if total > MAX_SESSION_MS:
        ck.error(
            ("block",),
            f"the session lasts {total / 60000:.1f} min; at most {MAX_SESSION_MS // 60000} min allowed",
        )
    _patterns_fit(ck, proto)
    has_pmr = any(isinstance(b, PmrBlock) for b in iter_blocks(proto.blocks))
    if has_pmr and not _ends_with_rest(proto.blocks):
        last = len(proto.blocks) - 1
        ck.warn(
            ("block", last),
            "a PMR protocol should end with a rest block (at least 5 minutes of lying relaxed "
            "is recommended)",
        )
