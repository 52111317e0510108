"""The practice-log archive on the PC: one SQLite file that never loses a session.

Raw records are kept byte for byte (table `records`, key device + log epoch +
seq), so the archive can always be rebuilt; `sessions` holds one row per
session (key device + epoch + seq of its START), built from START and END
records as they arrive; `missed` holds planned moments left alone. A device
whose flash was reformatted starts a new epoch: its sessions are kept next to
the old ones, never mistaken for them. Device labels and protocol names live
only here, never on the device. Schema and migrations: archive_schema.py.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError, OntspanError
from ..logformat import Record, RecordError, decode
from .rows import now_iso
from .schema import SCHEMA_VERSION, migrate
from .sessions import EXPORT_FIELDS, Session, SessionQueries, reconstruct
from .writer import LogWriter, Stored, insert_records

__all__ = ["SCHEMA_VERSION", "EXPORT_FIELDS", "Archive", "Session", "Stored", "reconstruct",
           "default_path", "epoch_name"]


def default_path() -> Path:
    """$ONTSPAN_ARCHIVE, else archive.sqlite3 in the user data directory."""
    env = os.environ.get("ONTSPAN_ARCHIVE")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ontspan", appauthor=False)) / "archive.sqlite3"


def epoch_name(epoch: str) -> str:
    """How an epoch reads in messages: "" is the log pulled before epochs."""
    return epoch or "v1"


class Archive(SessionQueries):
    """The SQLite archive; `Archive()` opens (and creates or migrates) the default file."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path)
            v = self.schema_version
            if v > SCHEMA_VERSION:
                raise OntspanError(
                    f"archive {self.path} has schema {v}; this ontspan reads up to "
                    f"{SCHEMA_VERSION}: update ontspan"
                )
            migrate(self.db, self._recover_conflicts)
        except sqlite3.DatabaseError as e:
            raise OntspanError(f"archive {self.path}: {e}") from e
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    # -- epochs

    def epoch_for(self, device_id: str, reported: str) -> str | None:
        """The archive's epoch for what the device reports now (None: never seen)."""
        row = self.db.execute(
            "SELECT epoch FROM epochs WHERE device_id = ? AND reported = ? "
            "ORDER BY rowid DESC LIMIT 1", (device_id, reported)).fetchone()
        return None if row is None else str(row[0])

    def latest_epoch(self, device_id: str) -> tuple[str, str] | None:
        """(epoch, reported) of the log this device was last pulled into."""
        row = self.db.execute(
            "SELECT epoch, reported FROM epochs WHERE device_id = ? ORDER BY rowid DESC LIMIT 1",
            (device_id,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def fresh_epoch(self, device_id: str, reported: str) -> str:
        """An unused epoch name for a new log of the device: the reported epoch,
        or it with -2, -3 ... when that name holds another log already."""
        used = {str(r[0]) for r in self.db.execute(
            "SELECT epoch FROM epochs WHERE device_id = ?", (device_id,))}
        if reported and reported not in used:
            return reported
        n = 2
        while f"{epoch_name(reported)}-{n}" in used:
            n += 1
        return f"{epoch_name(reported)}-{n}"

    def epochs(self, device_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM epochs WHERE device_id = ? ORDER BY rowid", (device_id,))]

    def _register(self, db: sqlite3.Connection, device_id: str, epoch: str, reported: str,
                  note: str | None, pulled: str) -> None:
        db.execute(
            "INSERT OR IGNORE INTO devices (device_id, first_seen, last_seen) VALUES (?, ?, ?)",
            (device_id, pulled, pulled))
        db.execute("UPDATE devices SET last_seen = ? WHERE device_id = ?", (pulled, device_id))
        if not db.execute("SELECT 1 FROM epochs WHERE device_id = ? AND epoch = ? AND reported = ?",
                          (device_id, epoch, reported)).fetchone():
            db.execute("INSERT INTO epochs (device_id, epoch, reported, first_pulled, note, shown) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (device_id, epoch, reported, pulled, note, 0 if note else 1))

    def take_notes(self, device_id: str) -> list[str]:
        """The device's epoch notes not yet said, oldest first; from now on they count
        as said (the caller prints them)."""
        with self.db as db:
            rows = db.execute("SELECT rowid, note FROM epochs WHERE device_id = ? AND shown = 0 "
                              "ORDER BY rowid", (device_id,)).fetchall()
            db.executemany("UPDATE epochs SET shown = 1 WHERE rowid = ?", [(r[0],) for r in rows])
        return [str(r[1]) for r in rows if r[1]]

    # -- storing

    def store(
        self,
        device_id: str,
        records: Iterable[bytes | Record],
        names: Mapping[int, Mapping[int, str]] | None = None,
        *,
        epoch: str = "",
        reported: str | None = None,
        note: str | None = None,
    ) -> tuple[int, int]:
        """Add records of one log of a device; returns (new, already archived)."""
        res = self.store_batch(device_id, records, names, epoch=epoch, reported=reported,
                               note=note)
        return res.new, res.duplicate + res.clashes

    def store_batch(
        self,
        device_id: str,
        records: Iterable[bytes | Record],
        names: Mapping[int, Mapping[int, str]] | None = None,
        *,
        epoch: str = "",
        reported: str | None = None,
        note: str | None = None,
    ) -> Stored:
        """Add records of one log (`epoch`) of a device in one transaction. Idempotent.

        `reported` is the epoch the device reports for this log (default: the
        same name); `names` maps table CRC -> protocol id -> name. A record
        whose seq is archived with other bytes is kept aside in `conflicts` and
        counted as a clash; one archived byte for byte in another log of the
        device from before epochs is moved to this one (when this log is from
        before epochs too: without epochs the bytes are all there is to go by).
        """
        with self.writer(device_id, names, epoch=epoch, reported=reported, note=note) as w:
            w.add(records)
        return w.stored

    def writer(
        self,
        device_id: str,
        names: Mapping[int, Mapping[int, str]] | None = None,
        *,
        epoch: str = "",
        reported: str | None = None,
        note: str | None = None,
    ) -> LogWriter:
        """A LogWriter: records of one log added batch by batch, as they arrive,
        in one transaction (see store_batch)."""
        if not device_id:
            raise InputError("empty device id")
        return LogWriter(self, device_id, names, epoch, epoch if reported is None else reported,
                         note)

    def _recover_conflicts(self, db: sqlite3.Connection, rows: list[Any]) -> None:
        # schema 1 conflicts: each device's clashing records, oldest first, go to
        # logs "v1-2", "v1-3" ... (a new one whenever a seq repeats)
        logs: dict[str, list[dict[int, tuple[bytes, Record]]]] = {}
        for dev, seq, raw, _pulled in rows:
            raw = bytes(raw)
            try:
                rec = decode(raw)
            except RecordError:
                continue
            chain = logs.setdefault(dev, [{}])
            if seq in chain[-1] and chain[-1][seq][0] != raw:
                chain.append({})
            chain[-1][seq] = (raw, rec)
        pulled = now_iso()
        for dev, chain in logs.items():
            for n, log in enumerate(chain, start=2):
                ep = f"v1-{n}"
                self._register(db, dev, ep, "", "recovered from the clashes of schema 1", pulled)
                insert_records(db, dev, ep, log, pulled, Stored())
            self._reconstruct_wall(db, dev)
        self._fill_names(db)

    def _put_names(self, db: sqlite3.Connection, names: Mapping[int, Mapping[int, str]]) -> None:
        db.executemany(
            "INSERT INTO protocol_names VALUES (?, ?, ?) ON CONFLICT(table_crc, protocol) "
            "DO UPDATE SET name = excluded.name",
            [(crc, pid, name) for crc, ids in names.items() for pid, name in ids.items()],
        )

    def _fill_names(self, db: sqlite3.Connection) -> None:
        db.execute(
            "UPDATE sessions SET protocol_name = (SELECT name FROM protocol_names p "
            "WHERE p.table_crc = sessions.table_crc AND p.protocol = sessions.protocol) "
            "WHERE protocol_name IS NULL"
        )

    def add_protocol_names(self, names: Mapping[int, Mapping[int, str]]) -> None:
        """Remember protocol names of a table (CRC -> id -> name) and name old sessions."""
        with self.db as db:
            self._put_names(db, names)
            self._fill_names(db)

    def _reconstruct_wall(self, db: sqlite3.Connection, device_id: str,
                          boots: set[tuple[str, int]] | None = None) -> None:
        # within one boot of one log, uptime and wall clock advance together; only
        # the boots a pull touched (`boots`) can have changed, and only those with
        # a session of unknown start need the anchors
        todo = [r for r in db.execute(
            "SELECT epoch, seq, boot, uptime_s FROM sessions "
            "WHERE device_id = ? AND (wall_s IS NULL OR wall_source = 'uptime')", (device_id,),
        ).fetchall() if boots is None or (r[0], r[2]) in boots]
        if not todo:
            return
        want = {(ep, boot) for ep, _, boot, _ in todo}
        anchors: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for ep, boot, up, wall in db.execute(
            "SELECT epoch, boot, uptime_s, wall_s FROM sessions "
            "WHERE device_id = ? AND wall_source = 'device'", (device_id,)):
            if (ep, boot) in want:
                anchors.setdefault((ep, boot), []).append((up, wall))
        updates = []
        for ep, seq, boot, up in todo:
            wall = reconstruct(up, anchors.get((ep, boot), []))
            if wall is not None:
                updates.append((wall, device_id, ep, seq))
        if updates:
            db.executemany("UPDATE sessions SET wall_s = ?, wall_source = 'uptime' "
                           "WHERE device_id = ? AND epoch = ? AND seq = ?", updates)

    def add_clock_anchor(self, device_id: str, boot: int, uptime_s: int, wall_s: int,
                         epoch: str | None = None) -> None:
        """A clock sync seen by the host (device boot, uptime and true time at that
        moment) for the device's current log (or `epoch`)."""
        if epoch is None:
            latest = self.latest_epoch(device_id)
            epoch = latest[0] if latest else ""
        with self.db as db:
            db.execute(
                "INSERT OR IGNORE INTO devices (device_id, first_seen, last_seen) "
                "VALUES (?, ?, ?)", (device_id, now_iso(), now_iso()))
            db.execute(
                "UPDATE sessions SET wall_s = ? + uptime_s - ?, wall_source = 'uptime' "
                "WHERE device_id = ? AND epoch = ? AND boot = ? AND wall_s IS NULL",
                (wall_s, uptime_s, device_id, epoch, boot))

    # -- reading

    def last_seq(self, device_id: str, epoch: str | None = None) -> int:
        """Highest seq archived in a log of the device (default: the one last
        pulled into), 0 if none: pull from here + 1."""
        if epoch is None:
            latest = self.latest_epoch(device_id)
            epoch = latest[0] if latest else ""
        row = self.db.execute(
            "SELECT MAX(seq) FROM records WHERE device_id = ? AND epoch = ?", (device_id, epoch)
        ).fetchone()
        return int(row[0] or 0)

    def label(self, device_id: str, name: str) -> None:
        """Give a device in the archive a name (kept on this PC only)."""
        with self.db as db:
            if db.execute("UPDATE devices SET label = ? WHERE device_id = ?",
                          (name, device_id)).rowcount == 0:
                raise InputError(
                    f"no device {device_id!r} in the archive {self.path} "
                    "(`ontspan device list` shows the ids; pull its logs first)")
