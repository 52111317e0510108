"""The standard protocols as the therapist sees them: name, kind, minutes, title and
what each asks (its tension rating). `ontspan library` prints these rows and the
app's Library page shows them: one list, one set of words."""

from __future__ import annotations

from dataclasses import dataclass

from .. import catalog
from ..errors import InputError
from .model import RATINGS, BreathBlock, CheckBlock, PmrBlock, Protocol, iter_blocks
from .parser import load_protocol
from .timeline import duration_ms


def kind(proto: Protocol) -> str:
    """What a protocol is, in one word: pmr, breathing, check or ritual (several kinds)."""
    kinds = set()
    for b in iter_blocks(proto.blocks):
        if isinstance(b, PmrBlock):
            kinds.add("pmr")
        elif isinstance(b, BreathBlock):
            kinds.add("breathing")
        elif isinstance(b, CheckBlock):
            kinds.add("check")
    if len(kinds) == 1:
        return kinds.pop()
    return "ritual" if kinds else "rest"


@dataclass(frozen=True)
class Entry:
    name: str
    id: int
    kind: str
    minutes: float
    title: str
    rating: str  # "none", "after" or "before_after" (model.RATINGS)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "id": self.id, "kind": self.kind, "minutes": self.minutes,
                "title": self.title, "rating": self.rating}


def entry(proto: Protocol) -> Entry:
    return Entry(proto.name, proto.id, kind(proto), round(duration_ms(proto) / 60000, 1),
                 proto.title, RATINGS[proto.rating] if 0 <= proto.rating < len(RATINGS) else "none")


def library_protocols() -> list[Protocol]:
    """Every standard protocol, loaded; a broken one is an error, never hidden."""
    out = []
    for path in catalog.library_files():
        proto, _ = load_protocol(path)
        if proto is None:  # the library is checked in CI
            raise InputError(f"{path}: the library protocol does not load; reinstall ontspan")
        out.append(proto)
    return out


def library_entries() -> list[Entry]:
    return [entry(p) for p in library_protocols()]
