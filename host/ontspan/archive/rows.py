"""How log records become archive rows: a session row from its START or END, a missed moment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..logformat import NO_MOMENT, NOT_RATED, UNKNOWN_U8, UNKNOWN_U16, Outcome, Record, RecordType


def now_iso() -> str:
    """Now, in UTC, as the archive writes times (to the second)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _opt(v: int, unknown: int) -> int | None:
    return None if v == unknown else v


SESSION_COLS = (
    "device_id", "epoch", "seq", "end_seq", "boot", "uptime_s", "wall_s", "wall_source",
    "protocol", "table_crc", "planned_s", "actual_s", "blocks", "groups", "outcome", "before",
    "after", "moment", "version", "pulled_at",
)
INSERT_START = (
    f"INSERT OR IGNORE INTO sessions ({', '.join(SESSION_COLS)}) "
    f"VALUES ({', '.join('?' * len(SESSION_COLS))})"
)
# the END is self-contained: it completes (or replaces) the START's row
UPSERT_END = (
    f"INSERT INTO sessions ({', '.join(SESSION_COLS)}) "
    f"VALUES ({', '.join('?' * len(SESSION_COLS))}) ON CONFLICT(device_id, epoch, seq) DO UPDATE SET "
    + ", ".join(f"{k} = excluded.{k}" for k in SESSION_COLS if k not in ("device_id", "epoch", "seq"))
)
INSERT_MISSED = "INSERT OR IGNORE INTO missed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


_OUTCOME_NAME = {o: o.name for o in Outcome}


def session_row(dev: str, epoch: str, r: Record, pulled: str) -> tuple[Any, ...]:
    end = r.rtype == RecordType.END
    wall = r.wall_s or None
    return (
        dev, epoch, r.seq - 1 if end else r.seq, r.seq if end else None, r.boot, r.uptime_s,
        wall, "device" if wall else None, r.protocol, r.table_crc, r.planned_s,
        _opt(r.actual_s, UNKNOWN_U16) if end else None,
        _opt(r.blocks, UNKNOWN_U8) if end else None,
        _opt(r.groups, UNKNOWN_U8) if end else None,
        _OUTCOME_NAME[r.outcome] if end else "NONE",
        _opt(r.before, NOT_RATED), _opt(r.after, NOT_RATED) if end else None,
        _opt(r.moment, NO_MOMENT), r.version, pulled,
    )


def missed_row(dev: str, epoch: str, r: Record, pulled: str) -> tuple[Any, ...]:
    return (dev, epoch, r.seq, r.boot, r.uptime_s, r.wall_s or None, r.protocol, r.table_crc,
            r.planned_s, _opt(r.moment, NO_MOMENT), pulled)
