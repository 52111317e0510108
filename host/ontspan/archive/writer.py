"""Writing one pull into the archive: records added batch by batch as they arrive,
all in one transaction, so storing keeps pace with the link (archive.py opens it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import OntspanError
from ..logformat import Record, RecordError, RecordType, decode, encode
from .rows import INSERT_MISSED, INSERT_START, UPSERT_END, missed_row, now_iso, session_row


class Store(Protocol):
    """What the writer needs of the archive (archive.Archive): its connection and the
    steps of a pull it leaves to it. A protocol, so the writer does not import it."""

    db: sqlite3.Connection

    def _register(self, db: sqlite3.Connection, device_id: str, epoch: str, reported: str,
                  note: str | None, pulled: str) -> None: ...

    def _put_names(self, db: sqlite3.Connection, names: Mapping[int, Mapping[int, str]]) -> None: ...

    def _fill_names(self, db: sqlite3.Connection) -> None: ...

    def _reconstruct_wall(self, db: sqlite3.Connection, device_id: str,
                          boots: set[tuple[str, int]] | None = None) -> None: ...


@dataclass
class Stored:
    """What one store() did."""

    new: int = 0
    duplicate: int = 0  # already archived (same bytes)
    clashes: int = 0  # same seq, other bytes: kept aside in `conflicts`
    moved: int = 0  # identical records found under another epoch, now under this one
    seqs: list[int] = field(default_factory=list)  # seqs of the new records


class LogWriter:
    """Records of one log of a device, added in batches inside one transaction.

    Each `add` is all or nothing (a savepoint); leaving the `with` block commits
    what was added, also when an error ends it: a device lost mid-pull keeps
    what arrived.
    """

    def __init__(self, archive: Store, device_id: str,
                 names: Mapping[int, Mapping[int, str]] | None, epoch: str, reported: str,
                 note: str | None):
        self.archive, self.db = archive, archive.db
        self.device_id, self.epoch = device_id, epoch
        self.pulled = now_iso()
        self.stored = Stored()
        self._boots: set[tuple[str, int]] = set()
        self._start = (names, reported, note)

    def __enter__(self) -> LogWriter:
        names, reported, note = self._start
        try:
            self.archive._register(self.db, self.device_id, self.epoch, reported, note,
                                   self.pulled)
            if names:
                self.archive._put_names(self.db, names)
        except BaseException:
            self.db.rollback()
            raise
        return self

    def add(self, records: Iterable[bytes | Record]) -> None:
        decoded: dict[int, tuple[bytes, Record]] = {}
        for item in records:
            if isinstance(item, Record):
                rec, raw = item, encode(item)
            else:
                raw = bytes(item)
                try:
                    rec = decode(raw)
                except RecordError as e:
                    raise OntspanError(f"device {self.device_id}: {e}") from e
            decoded[rec.seq] = (raw, rec)
        if not decoded:
            return
        self.db.execute("SAVEPOINT batch")
        try:
            insert_records(self.db, self.device_id, self.epoch, decoded, self.pulled, self.stored)
        except BaseException:
            self.db.execute("ROLLBACK TO batch")
            self.db.execute("RELEASE batch")
            raise
        self.db.execute("RELEASE batch")
        self._boots.update((self.epoch, r.boot) for _, r in decoded.values())

    def __exit__(self, et: type[BaseException] | None, *exc: object) -> None:
        if et is not None and not self._boots:
            self.db.rollback()  # nothing arrived: the pull leaves no trace
            return
        try:
            if self._boots:
                self.archive._fill_names(self.db)
                self.archive._reconstruct_wall(self.db, self.device_id, self._boots)
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()


def insert_records(db: sqlite3.Connection, dev: str, epoch: str,
                   decoded: dict[int, tuple[bytes, Record]], pulled: str, res: Stored) -> None:
    lo, hi = min(decoded), max(decoded)
    have: dict[int, bytes] = {}
    elsewhere: dict[tuple[int, bytes], str] = {}
    # logs from before epochs can only be told apart by their bytes: a record
    # of such a log found byte for byte in another one of them is the same record
    legacy = {str(r[0]) for r in db.execute(
        "SELECT epoch FROM epochs WHERE device_id = ? GROUP BY epoch "
        "HAVING MAX(reported) = ''", (dev,))}
    for ep, seq, raw in db.execute(
        "SELECT epoch, seq, raw FROM records WHERE device_id = ? AND seq BETWEEN ? AND ?",
        (dev, lo, hi),
    ):
        if ep == epoch:
            have[seq] = bytes(raw)
        elif ep in legacy and epoch in legacy:
            elsewhere[(seq, bytes(raw))] = ep
    moves: list[tuple[str, int]] = []
    fresh: list[tuple[bytes, Record]] = []
    clashes: list[tuple[Any, ...]] = []
    for seq, (raw, rec) in decoded.items():
        old = have.get(seq)
        if old is not None:
            if old == raw:
                res.duplicate += 1
            else:
                res.clashes += 1
                clashes.append((dev, epoch, seq, raw, pulled))
            continue
        other = elsewhere.get((seq, raw))
        if other is not None:
            moves.append((other, seq))
            res.moved += 1
            res.duplicate += 1
        else:
            res.new += 1
            res.seqs.append(seq)
        fresh.append((raw, rec))
    for other, seq in moves:
        db.execute("DELETE FROM records WHERE device_id = ? AND epoch = ? AND seq = ?",
                   (dev, other, seq))
        db.execute("DELETE FROM sessions WHERE device_id = ? AND epoch = ? AND "
                   "(seq = ? OR end_seq = ?)", (dev, other, seq, seq))
        db.execute("DELETE FROM missed WHERE device_id = ? AND epoch = ? AND seq = ?",
                   (dev, other, seq))
    db.executemany("INSERT OR IGNORE INTO conflicts VALUES (?, ?, ?, ?, ?)", clashes)
    db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?)",
                   [(dev, epoch, r.seq, raw, pulled) for raw, r in fresh])
    by_type: dict[RecordType, list[Record]] = {t: [] for t in RecordType}
    for _, r in fresh:
        by_type[r.rtype].append(r)
    # a START whose END came in the same pull adds nothing the END does not carry
    ended = {r.seq - 1 for r in by_type[RecordType.END]}
    db.executemany(INSERT_START, [session_row(dev, epoch, r, pulled)
                                   for r in by_type[RecordType.START] if r.seq not in ended])
    db.executemany(UPSERT_END, [session_row(dev, epoch, r, pulled)
                                 for r in by_type[RecordType.END]])
    db.executemany(INSERT_MISSED, [missed_row(dev, epoch, r, pulled)
                                   for r in by_type[RecordType.MISSED]])
