"""The practice-log archive on the PC: one SQLite file, never a duplicate.

Raw records are kept byte for byte (table `records`, key device + seq), so the
archive can always be rebuilt; `sessions` holds one row per session (key
device + seq of its START), built from START and END records as they arrive.
Device labels and protocol names live only here, never on the device.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from .errors import InputError, OntspanError
from .logformat import (
    NOT_RATED,
    UNKNOWN_U8,
    UNKNOWN_U16,
    Outcome,
    Record,
    RecordError,
    RecordType,
    decode,
    encode,
)

SCHEMA_VERSION = 1

# MIGRATIONS[n] takes an archive from user_version n to n + 1
MIGRATIONS: list[str] = [
    """
    CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        label TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE records (
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        raw BLOB NOT NULL,
        pulled_at TEXT NOT NULL,
        PRIMARY KEY (device_id, seq)
    );
    CREATE TABLE sessions (
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        end_seq INTEGER,
        boot INTEGER NOT NULL,
        uptime_s INTEGER NOT NULL,
        wall_s INTEGER,
        wall_source TEXT,
        protocol INTEGER NOT NULL,
        protocol_name TEXT,
        table_crc INTEGER NOT NULL,
        planned_s INTEGER NOT NULL,
        actual_s INTEGER,
        blocks INTEGER,
        groups INTEGER,
        outcome TEXT NOT NULL,
        before INTEGER,
        after INTEGER,
        pulled_at TEXT NOT NULL,
        UNIQUE (device_id, seq)
    );
    CREATE TABLE protocol_names (
        table_crc INTEGER NOT NULL,
        protocol INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (table_crc, protocol)
    );
    CREATE TABLE conflicts (
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        raw BLOB NOT NULL,
        pulled_at TEXT NOT NULL
    );
    """,
]
assert len(MIGRATIONS) == SCHEMA_VERSION


def default_path() -> Path:
    """$ONTSPAN_ARCHIVE, else archive.sqlite3 in the user data directory."""
    env = os.environ.get("ONTSPAN_ARCHIVE")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ontspan", appauthor=False)) / "archive.sqlite3"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Session:
    """One practice session as the archive knows it; None = unknown."""

    device_id: str
    seq: int
    end_seq: int | None
    boot: int
    uptime_s: int
    wall_s: int | None  # unix seconds at start, None = unknown
    wall_source: str | None  # "device" or "uptime" (reconstructed)
    protocol: int
    protocol_name: str | None
    table_crc: int
    planned_s: int
    actual_s: int | None
    blocks: int | None
    groups: int | None
    outcome: str  # Outcome name; NONE = END not pulled yet
    before: int | None
    after: int | None
    pulled_at: str
    label: str | None = None

    @property
    def start(self) -> dt.datetime | None:
        """Local start time, if known."""
        if self.wall_s is None:
            return None
        return dt.datetime.fromtimestamp(self.wall_s).astimezone()

    @property
    def drop(self) -> int | None:
        """Tension drop (before - after), if both were rated."""
        if self.before is None or self.after is None:
            return None
        return self.before - self.after

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["table_crc"] = f"{self.table_crc:08x}"
        st = self.start
        d["start_local"] = st.isoformat(timespec="seconds") if st else None
        d["outcome"] = Outcome[self.outcome].label
        return d


EXPORT_FIELDS = [
    "device_id", "label", "seq", "end_seq", "start_local", "wall_s", "wall_source", "boot",
    "uptime_s", "protocol", "protocol_name", "table_crc", "planned_s", "actual_s", "blocks",
    "groups", "outcome", "before", "after", "pulled_at",
]


def _opt(v: int, unknown: int) -> int | None:
    return None if v == unknown else v


class Archive:
    """The SQLite archive; `Archive()` opens (and creates or migrates) the default file."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path)
            self._migrate()
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

    def _migrate(self) -> None:
        v = self.schema_version
        if v > SCHEMA_VERSION:
            raise OntspanError(
                f"archive {self.path} has schema {v}; this ontspan reads up to "
                f"{SCHEMA_VERSION}: update ontspan"
            )
        for n in range(v, SCHEMA_VERSION):
            # executescript commits; user_version moves in the same script
            self.db.executescript(
                f"BEGIN; {MIGRATIONS[n]}; PRAGMA user_version = {n + 1}; COMMIT;"
            )

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.db:  # commit on success, roll back on error
            yield self.db

    # -- storing

    def store(
        self,
        device_id: str,
        records: Iterable[bytes | Record],
        names: Mapping[int, Mapping[int, str]] | None = None,
    ) -> tuple[int, int]:
        """Add records of one device; returns (new, duplicate). Idempotent.

        `names` maps table CRC -> protocol id -> name. A record whose seq is
        already archived with different bytes (a reformatted device) is kept
        aside in `conflicts` and counted as a duplicate.
        """
        if not device_id:
            raise InputError("empty device id")
        pulled = _now()
        new = dup = 0
        with self._tx() as db:
            if names:
                self._put_names(db, names)
            db.execute(
                "INSERT INTO devices (device_id, first_seen, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT(device_id) DO UPDATE SET last_seen = excluded.last_seen",
                (device_id, pulled, pulled),
            )
            for item in records:
                if isinstance(item, Record):
                    rec = item
                    raw = encode(rec)
                else:
                    raw = bytes(item)
                    try:
                        rec = decode(raw)
                    except RecordError as e:
                        raise OntspanError(f"device {device_id}: {e}") from e
                row = db.execute(
                    "SELECT raw FROM records WHERE device_id = ? AND seq = ?",
                    (device_id, rec.seq),
                ).fetchone()
                if row is not None:
                    dup += 1
                    if bytes(row[0]) != raw:
                        db.execute(
                            "INSERT INTO conflicts VALUES (?, ?, ?, ?)",
                            (device_id, rec.seq, raw, pulled),
                        )
                    continue
                db.execute(
                    "INSERT INTO records VALUES (?, ?, ?, ?)", (device_id, rec.seq, raw, pulled)
                )
                self._put_session(db, device_id, rec, pulled)
                new += 1
            self._fill_names(db)
            self._reconstruct_wall(db, device_id)
        return new, dup

    def _put_session(self, db: sqlite3.Connection, device_id: str, r: Record, pulled: str) -> None:
        start_seq = r.seq if r.rtype == RecordType.START else r.seq - 1
        wall = r.wall_s or None
        common = {
            "device_id": device_id, "seq": start_seq, "boot": r.boot, "uptime_s": r.uptime_s,
            "wall_s": wall, "wall_source": "device" if wall else None, "protocol": r.protocol,
            "table_crc": r.table_crc, "planned_s": r.planned_s,
            "before": _opt(r.before, NOT_RATED), "pulled_at": pulled,
        }
        if r.rtype == RecordType.START:
            cols = {**common, "outcome": Outcome.NONE.name}
            db.execute(
                f"INSERT OR IGNORE INTO sessions ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' * len(cols))})",
                tuple(cols.values()),
            )
            return
        cols = {
            **common, "end_seq": r.seq, "actual_s": _opt(r.actual_s, UNKNOWN_U16),
            "blocks": _opt(r.blocks, UNKNOWN_U8), "groups": _opt(r.groups, UNKNOWN_U8),
            "outcome": r.outcome.name, "after": _opt(r.after, NOT_RATED),
        }
        # the END is self-contained: it completes (or replaces) the START's row
        db.execute(
            f"INSERT INTO sessions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            "ON CONFLICT(device_id, seq) DO UPDATE SET "
            + ", ".join(f"{k} = excluded.{k}" for k in cols if k not in ("device_id", "seq")),
            tuple(cols.values()),
        )

    def _put_names(self, db: sqlite3.Connection, names: Mapping[int, Mapping[int, str]]) -> None:
        for crc, ids in names.items():
            for pid, name in ids.items():
                db.execute(
                    "INSERT INTO protocol_names VALUES (?, ?, ?) ON CONFLICT(table_crc, protocol) "
                    "DO UPDATE SET name = excluded.name",
                    (crc, pid, name),
                )

    def _fill_names(self, db: sqlite3.Connection) -> None:
        db.execute(
            "UPDATE sessions SET protocol_name = (SELECT name FROM protocol_names p "
            "WHERE p.table_crc = sessions.table_crc AND p.protocol = sessions.protocol) "
            "WHERE protocol_name IS NULL"
        )

    def add_protocol_names(self, names: Mapping[int, Mapping[int, str]]) -> None:
        """Remember protocol names of a table (CRC -> id -> name) and name old sessions."""
        with self._tx() as db:
            self._put_names(db, names)
            self._fill_names(db)

    def _reconstruct_wall(self, db: sqlite3.Connection, device_id: str) -> None:
        # within one boot, uptime and wall clock advance together
        anchors: dict[int, list[tuple[int, int]]] = {}
        for row in db.execute(
            "SELECT boot, uptime_s, wall_s FROM sessions "
            "WHERE device_id = ? AND wall_source = 'device'",
            (device_id,),
        ):
            anchors.setdefault(row[0], []).append((row[1], row[2]))
        for row in db.execute(
            "SELECT device_id, seq, boot, uptime_s, wall_source FROM sessions "
            "WHERE device_id = ? AND (wall_s IS NULL OR wall_source = 'uptime')",
            (device_id,),
        ).fetchall():
            wall = reconstruct(row[3], anchors.get(row[2], []))
            if wall is not None:
                db.execute(
                    "UPDATE sessions SET wall_s = ?, wall_source = 'uptime' "
                    "WHERE device_id = ? AND seq = ?",
                    (wall, row[0], row[1]),
                )

    def add_clock_anchor(self, device_id: str, boot: int, uptime_s: int, wall_s: int) -> None:
        """A clock sync seen by the host (device boot, uptime and true time at that moment)."""
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO devices (device_id, first_seen, last_seen) "
                "VALUES (?, ?, ?)",
                (device_id, _now(), _now()),
            )
            for row in db.execute(
                "SELECT seq, uptime_s FROM sessions WHERE device_id = ? AND boot = ? "
                "AND wall_s IS NULL",
                (device_id, boot),
            ).fetchall():
                db.execute(
                    "UPDATE sessions SET wall_s = ?, wall_source = 'uptime' "
                    "WHERE device_id = ? AND seq = ?",
                    (wall_s + row[1] - uptime_s, device_id, row[0]),
                )

    # -- reading

    def last_seq(self, device_id: str) -> int:
        """Highest seq archived for the device (0 if none): pull from here + 1."""
        row = self.db.execute(
            "SELECT MAX(seq) FROM records WHERE device_id = ?", (device_id,)
        ).fetchone()
        return int(row[0] or 0)

    def label(self, device_id: str, name: str) -> None:
        """Give a device a name (kept on this PC only)."""
        now = _now()
        with self._tx() as db:
            db.execute(
                "INSERT INTO devices (device_id, label, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(device_id) DO UPDATE SET label = excluded.label",
                (device_id, name, now, now),
            )

    def devices(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM devices ORDER BY device_id")]

    def resolve_device(self, device: str) -> str:
        """A device id from an id or a label."""
        row = self.db.execute(
            "SELECT device_id FROM devices WHERE device_id = ? OR label = ? "
            "ORDER BY device_id = ? DESC",
            (device, device, device),
        ).fetchall()
        if not row:
            raise InputError(f"no device {device!r} in the archive {self.path}")
        if len(row) > 1 and row[0][0] != device:
            raise InputError(f"label {device!r} names {len(row)} devices: use the device id")
        return str(row[0][0])

    def sessions(
        self,
        device: str | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
    ) -> list[Session]:
        """Sessions oldest first; dates are local and inclusive. With a date filter,
        sessions of unknown time are left out."""
        sql = (
            "SELECT s.*, d.label FROM sessions s JOIN devices d USING (device_id)"
        )
        args: list[Any] = []
        where = []
        if device:
            where.append("s.device_id = ?")
            args.append(self.resolve_device(device))
        if date_from:
            where.append("s.wall_s >= ?")
            args.append(_local_midnight(date_from))
        if date_to:
            where.append("s.wall_s < ?")
            args.append(_local_midnight(date_to + dt.timedelta(days=1)))
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.device_id, s.seq"
        return [Session(**dict(r)) for r in self.db.execute(sql, args)]

    def export(
        self,
        fmt: str,
        device: str | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        out: TextIO | None = None,
    ) -> str:
        """Sessions as CSV or JSON text (also written to `out` if given)."""
        rows = [s.to_dict() for s in self.sessions(device, date_from, date_to)]
        if fmt == "json":
            text = json.dumps([{k: r[k] for k in EXPORT_FIELDS} for r in rows], indent=1) + "\n"
        elif fmt == "csv":
            buf = io.StringIO()
            w = csv.DictWriter(buf, EXPORT_FIELDS, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
            text = buf.getvalue()
        else:
            raise InputError(f"unknown export format {fmt!r} (csv or json)")
        if out is not None:
            out.write(text)
        return text


def reconstruct(uptime_s: int, anchors: list[tuple[int, int]]) -> int | None:
    """Start time of a session of a boot from (uptime, wall) anchors of the same boot,
    using the anchor nearest in uptime; None if the boot never saw the clock."""
    if not anchors:
        return None
    up, wall = min(anchors, key=lambda a: abs(a[0] - uptime_s))
    return wall + (uptime_s - up)


def _local_midnight(d: dt.date) -> int:
    return int(dt.datetime(d.year, d.month, d.day).astimezone().timestamp())
