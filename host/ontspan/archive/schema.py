"""The archive's SQLite schema and its migrations, one step per version.

Schema 2 (log format v2) keys records and sessions by device, log epoch and
seq: a reformatted device starts its seqs again under a new epoch, and both
logs are kept. Records pulled before epochs existed belong to epoch "".
Schema 3 remembers whether the line about a new log has been said.
Schema 4 adds patients (kept on this PC only), their links to devices over
time and the plans they were given (archive/patients.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 4

_V1 = """
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
"""

# schema 2: tables rebuilt with an epoch column (SQLite cannot change a key in place)
_V2 = """
CREATE TABLE epochs (
    device_id TEXT NOT NULL,
    epoch TEXT NOT NULL,       -- the archive's name for one log of the device
    reported TEXT NOT NULL,    -- the epoch the device reports for it ("" = firmware before v2)
    first_pulled TEXT NOT NULL,
    note TEXT,                 -- why this log was started, as the pull said it
    shown INTEGER NOT NULL DEFAULT 1,  -- the note has been said (schema 3, see _to_v3)
    PRIMARY KEY (device_id, epoch, reported)
);
CREATE TABLE records2 (
    device_id TEXT NOT NULL,
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL,
    raw BLOB NOT NULL,
    pulled_at TEXT NOT NULL,
    PRIMARY KEY (device_id, epoch, seq)
);
INSERT INTO records2 SELECT device_id, '', seq, raw, pulled_at FROM records;
DROP TABLE records;
ALTER TABLE records2 RENAME TO records;
CREATE INDEX records_by_seq ON records (device_id, seq);
CREATE TABLE sessions2 (
    device_id TEXT NOT NULL,
    epoch TEXT NOT NULL,
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
    moment INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    pulled_at TEXT NOT NULL,
    UNIQUE (device_id, epoch, seq)
);
INSERT INTO sessions2 (device_id, epoch, seq, end_seq, boot, uptime_s, wall_s, wall_source,
    protocol, protocol_name, table_crc, planned_s, actual_s, blocks, groups, outcome, before,
    after, pulled_at)
    SELECT device_id, '', seq, end_seq, boot, uptime_s, wall_s, wall_source, protocol,
    protocol_name, table_crc, planned_s, actual_s, blocks, groups, outcome, before, after,
    pulled_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions2 RENAME TO sessions;
CREATE TABLE missed (
    device_id TEXT NOT NULL,
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL,
    boot INTEGER NOT NULL,
    uptime_s INTEGER NOT NULL,
    wall_s INTEGER,
    protocol INTEGER NOT NULL,
    table_crc INTEGER NOT NULL,
    planned_s INTEGER NOT NULL,
    moment INTEGER,
    pulled_at TEXT NOT NULL,
    PRIMARY KEY (device_id, epoch, seq)
);
CREATE TABLE conflicts2 (
    device_id TEXT NOT NULL,
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL,
    raw BLOB NOT NULL,
    pulled_at TEXT NOT NULL,
    UNIQUE (device_id, epoch, seq, raw)
);
DROP TABLE conflicts;
ALTER TABLE conflicts2 RENAME TO conflicts;
INSERT INTO epochs (device_id, epoch, reported, first_pulled, note)
    SELECT DISTINCT device_id, '', '', MIN(pulled_at), 'pulled before log epochs'
    FROM records GROUP BY device_id;
"""


def _to_v2(db: sqlite3.Connection, recover: Callable[[sqlite3.Connection, list], None]) -> None:
    # schema 1 put records that clashed by seq (a reformatted device) aside in
    # `conflicts`: they are sessions too, so they come back as logs of their own
    old = db.execute(
        "SELECT device_id, seq, raw, pulled_at FROM conflicts ORDER BY rowid"
    ).fetchall()
    for stmt in _V2.split(";\n"):
        if stmt.strip():
            db.execute(stmt)
    recover(db, old)


# schema 3: whether the pull has said an epoch's note yet (a pull cut before it
# printed the note says it the next time); notes of older archives were said
def _to_v3(db: sqlite3.Connection, recover: Callable[[sqlite3.Connection, list], None]) -> None:
    # an archive migrated from schema 1 in this run has the column already
    if "shown" not in {str(r[1]) for r in db.execute("PRAGMA table_info(epochs)")}:
        db.execute("ALTER TABLE epochs ADD COLUMN shown INTEGER NOT NULL DEFAULT 1")


# schema 4: patients; a device is linked to one patient at a time (end NULL =
# linked now); times are UTC ISO date-times as rows.now_iso writes them
_V4 = """
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    note TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE TABLE patient_links (
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    device_id TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT
);
CREATE INDEX patient_links_by_device ON patient_links (device_id, start);
CREATE TABLE patient_plans (
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    device_id TEXT,            -- the device it was stored on (NULL: recorded without one)
    start TEXT NOT NULL,       -- when it was loaded
    source TEXT NOT NULL       -- the plan file's text, as loaded
);
"""


# MIGRATIONS[n] takes an archive from user_version n to n + 1; an SQL script,
# or a function of (connection, recover) for steps SQL alone cannot do
MIGRATIONS: list[str | Callable[..., None]] = [_V1, _to_v2, _to_v3, _V4]
assert len(MIGRATIONS) == SCHEMA_VERSION


def migrate(db: sqlite3.Connection, recover: Callable[[sqlite3.Connection, list], None]) -> None:
    """Bring the archive up to SCHEMA_VERSION, each step in one transaction."""
    v = int(db.execute("PRAGMA user_version").fetchone()[0])
    for n in range(v, SCHEMA_VERSION):
        step = MIGRATIONS[n]
        db.execute("BEGIN")
        try:
            if isinstance(step, str):
                for stmt in step.split(";\n"):
                    if stmt.strip():
                        db.execute(stmt)
            else:
                step(db, recover)
            db.execute(f"PRAGMA user_version = {n + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
