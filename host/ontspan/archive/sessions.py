"""Reading the archive: sessions, missed moments, devices, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from ..errors import InputError
from ..logformat import outcome_label


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
    actual_s: int | None  # played, pauses left out (records of format v1: with pauses)
    blocks: int | None
    groups: int | None
    outcome: str  # Outcome name; NONE = END not pulled yet
    before: int | None
    after: int | None
    pulled_at: str
    label: str | None = None
    epoch: str = ""  # the device's log this session is in ("" = pulled before epochs)
    moment: int | None = None  # the planned moment it answered
    version: int = 1  # log format version of its records

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
        d["outcome"] = outcome_label(self.outcome)
        return d


EXPORT_FIELDS = [
    "patient", "device_id", "label", "epoch", "seq", "end_seq", "start_local", "wall_s", "wall_source",
    "boot", "uptime_s", "protocol", "protocol_name", "table_crc", "planned_s", "actual_s",
    "blocks", "groups", "outcome", "before", "after", "moment", "pulled_at",
]


def reconstruct(uptime_s: int, anchors: list[tuple[int, int]]) -> int | None:
    """Start time of a session of a boot from (uptime, wall) anchors of the same boot,
    using the anchor nearest in uptime; None if the boot never saw the clock."""
    if not anchors:
        return None
    up, wall = min(anchors, key=lambda a: abs(a[0] - uptime_s))
    return wall + (uptime_s - up)


def _time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text)
    return t if t.tzinfo else t.astimezone()


def _local_midnight(d: dt.date) -> int:
    return int(dt.datetime(d.year, d.month, d.day).astimezone().timestamp())


# logs of a device in the order they were first pulled, then seq
_ORDER = (" ORDER BY s.device_id, (SELECT MIN(e.rowid) FROM epochs e WHERE "
          "e.device_id = s.device_id AND e.epoch = s.epoch), s.seq")


class SessionQueries:
    """Read side of Archive (needs `db` and `path`)."""

    db: sqlite3.Connection
    path: Path

    def raw_at(self, device_id: str, epoch: str, seq: int) -> bytes | None:
        row = self.db.execute(
            "SELECT raw FROM records WHERE device_id = ? AND epoch = ? AND seq = ?",
            (device_id, epoch, seq)).fetchone()
        return None if row is None else bytes(row[0])

    def conflicts(self, device: str | None = None) -> list[dict[str, Any]]:
        """Records kept aside because their seq was archived with other bytes."""
        sql, args = "SELECT * FROM conflicts", []
        if device:
            sql += " WHERE device_id = ?"
            args.append(self.resolve_device(device))
        out = []
        for r in self.db.execute(sql + " ORDER BY device_id, epoch, seq", args):
            d = dict(r)
            d["archived"] = self.raw_at(d["device_id"], d["epoch"], d["seq"])
            out.append(d)
        return out

    def devices(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM devices ORDER BY device_id")]

    def resolve_device(self, device: str) -> str:
        """A device id from a device id, a device label, or a patient (name or id:
        the device linked to them now). The one resolver of every `--device`."""
        row = self.db.execute(
            "SELECT device_id FROM devices WHERE device_id = ? OR label = ? "
            "ORDER BY device_id = ? DESC",
            (device, device, device),
        ).fetchall()
        if not row:
            return self._device_of_patient(device)
        if len(row) > 1 and row[0][0] != device:
            raise InputError(f"label {device!r} names {len(row)} devices: use the device id")
        return str(row[0][0])

    def _device_of_patient(self, text: str) -> str:
        p = self.db.execute("SELECT id, name FROM patients WHERE name = ? OR "
                            "(? GLOB '[0-9]*' AND id = ?)", (text, text, text)).fetchone()
        if p is None:
            raise InputError(f"no device {text!r} (nor a patient of that name) in the archive {self.path} "
                             "(`ontspan device list`, `ontspan patient list`)")
        dev = self.db.execute("SELECT device_id FROM patient_links WHERE patient_id = ? "
                              "AND end IS NULL", (p[0],)).fetchone()
        if dev is None:
            raise InputError(f"{p[1]} has no device linked now "
                             f"(`ontspan patient link {p[1]} DEVICE`)")
        return str(dev[0])

    def session_owners(self, device: str | None = None) -> dict[tuple[str, str, int], tuple[int, str]]:
        """(device, epoch, seq) -> (patient id, name) of the patient whose link
        covered the session's start; a session of unknown start goes by its log:
        the patient linked when that log was first pulled (archive/patients.py)."""
        links: dict[str, list[tuple[dt.datetime, dt.datetime | None, int, str]]] = {}
        for dev, start, end, pid, name in self.db.execute(
                "SELECT l.device_id, l.start, l.end, p.id, p.name FROM patient_links l "
                "JOIN patients p ON p.id = l.patient_id"):
            links.setdefault(str(dev), []).append(
                (_time(start), None if end is None else _time(end), int(pid), str(name)))
        out: dict[tuple[str, str, int], tuple[int, str]] = {}
        for dev, spans in links.items():
            if device is not None and dev != device:
                continue
            pulled = {str(e): _time(f) for e, f in self.db.execute(
                "SELECT epoch, MIN(first_pulled) FROM epochs WHERE device_id = ? GROUP BY epoch",
                (dev,))}
            for epoch, seq, wall in self.db.execute(
                    "SELECT epoch, seq, wall_s FROM sessions WHERE device_id = ?", (dev,)):
                when = (dt.datetime.fromtimestamp(wall, dt.UTC) if wall is not None
                        else pulled.get(str(epoch)))
                if when is None:
                    continue
                for start, end, pid, name in spans:
                    if start <= when and (end is None or when < end):
                        out[(dev, str(epoch), int(seq))] = (pid, name)
                        break
        return out

    def _where(self, device: str | None, date_from: dt.date | None,
               date_to: dt.date | None) -> tuple[str, list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if device:
            where.append("s.device_id = ?")
            args.append(self.resolve_device(device))
        if date_from:
            where.append("s.wall_s >= ?")
            args.append(_local_midnight(date_from))
        if date_to:
            where.append("s.wall_s < ?")
            args.append(_local_midnight(date_to + dt.timedelta(days=1)))
        return (" WHERE " + " AND ".join(where)) if where else "", args

    def sessions(
        self,
        device: str | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
    ) -> list[Session]:
        """Sessions per device, each device's logs in the order first pulled, then by
        seq; dates are local and inclusive. With a date filter, sessions of unknown
        time are left out."""
        where, args = self._where(device, date_from, date_to)
        sql = "SELECT s.*, d.label FROM sessions s JOIN devices d USING (device_id)" + where
        return [Session(**dict(r)) for r in self.db.execute(sql + _ORDER, args)]

    def missed(
        self,
        device: str | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Planned moments left alone (MISSED records), as rows."""
        where, args = self._where(device, date_from, date_to)
        sql = "SELECT s.*, d.label FROM missed s JOIN devices d USING (device_id)" + where
        return [dict(r) for r in self.db.execute(sql + _ORDER, args)]

    def export(
        self,
        fmt: str,
        device: str | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        out: TextIO | None = None,
    ) -> str:
        """Sessions as CSV or JSON text (also written to `out` if given)."""
        owners = self.session_owners()
        rows = [{**s.to_dict(), "patient": owners.get((s.device_id, s.epoch, s.seq), (0, None))[1]}
                for s in self.sessions(device, date_from, date_to)]
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
