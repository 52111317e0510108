"""The SQLite archive: no duplicates, incremental pulls, exports, schema version."""

import csv
import datetime as dt
import io
import json
import sqlite3

import pytest
from ontspan.archive.pull import pull
from ontspan.archive.store import SCHEMA_VERSION, Archive, reconstruct
from ontspan.errors import InputError, OntspanError
from ontspan.logformat import Outcome, encode
from synth_logs import FakeLink, raw, session

T0 = dt.datetime(2025, 3, 3, 21, 30).astimezone()


def week(n=7, start_seq=1):
    recs = []
    for d in range(n):
        recs += session(start_seq + 2 * d, T0 + dt.timedelta(days=d), before=7, after=4)
    return recs


@pytest.fixture
def ar(tmp_path):
    with Archive(tmp_path / "a.sqlite3") as a:
        yield a


def test_store_is_idempotent(ar):
    recs = raw(week(3))
    assert ar.store("dev1", recs) == (6, 0)
    assert ar.store("dev1", recs) == (0, 6)
    assert ar.store("dev1", recs[2:] + raw(session(7, T0))) == (2, 4)
    assert len(ar.sessions()) == 4
    assert ar.last_seq("dev1") == 8 and ar.last_seq("other") == 0
    # same seqs on another device are other sessions
    assert ar.store("dev2", recs) == (6, 0)
    assert len(ar.sessions()) == 7


def test_start_then_end_complete_one_session(ar):
    s, e = session(11, T0, before=8, after=3, outcome=Outcome.STOPPED, actual_s=300)
    ar.store("d", [encode(s)])
    (only,) = ar.sessions()
    assert only.outcome == "NONE" and only.after is None and only.before == 8
    ar.store("d", [encode(e)])
    (only,) = ar.sessions()
    assert (only.seq, only.end_seq, only.outcome, only.actual_s, only.drop) == (
        11, 12, "STOPPED", 300, 5)


def test_end_alone_is_a_whole_session(ar):
    _, e = session(21, T0, before=6, after=6)
    ar.store("d", [encode(e)])
    (only,) = ar.sessions()
    assert only.seq == 21 and only.outcome == "COMPLETED" and only.wall_s == int(T0.timestamp())


def test_power_cut_end_has_unknowns(ar):
    s, _ = session(1, T0, before=5)
    from ontspan.logformat import NOT_RATED, UNKNOWN_U8, UNKNOWN_U16, end_of
    cut = end_of(s, UNKNOWN_U16, UNKNOWN_U8, UNKNOWN_U8, Outcome.POWER_CUT, NOT_RATED)
    ar.store("d", [s, cut])
    (only,) = ar.sessions()
    assert only.outcome == "POWER_CUT" and only.actual_s is None and only.groups is None
    assert only.after is None and only.drop is None


def test_conflicting_bytes_are_kept_aside(ar):
    ar.store("d", raw(session(1, T0, before=3)))
    assert ar.store("d", raw(session(1, T0, before=9))) == (0, 2)
    assert ar.sessions()[0].before == 3
    assert ar.db.execute("SELECT COUNT(*) FROM conflicts").fetchone()[0] == 2


def test_bad_bytes_are_an_error(ar):
    with pytest.raises(OntspanError, match="CRC"):
        ar.store("d", [encode(session(1, T0)[0])[:-1] + b"\x00"])
    assert ar.sessions() == []  # nothing half-stored


def test_export_filters(ar):
    ar.store("dev1", week(7))
    ar.store("dev2", week(2))
    ar.label("dev2", "Mevr. Jansen")
    data = json.loads(ar.export("json"))
    assert len(data) == 9
    data = json.loads(ar.export("json", device="Mevr. Jansen"))
    assert {d["device_id"] for d in data} == {"dev2"} and data[0]["label"] == "Mevr. Jansen"
    d0 = T0.date()
    rows = list(csv.DictReader(io.StringIO(ar.export(
        "csv", device="dev1", date_from=d0 + dt.timedelta(days=2), date_to=d0 + dt.timedelta(days=4)))))
    assert [r["seq"] for r in rows] == ["5", "7", "9"]
    assert rows[0]["outcome"] == "completed" and rows[0]["before"] == "7"
    assert rows[0]["start_local"].startswith((d0 + dt.timedelta(days=2)).isoformat())
    with pytest.raises(InputError):
        ar.export("xml")
    with pytest.raises(InputError):
        ar.export("csv", device="nobody")


def test_protocol_names_resolved(ar):
    from synth_logs import SYNTH_TABLE_CRC
    ar.store("d", week(1), names={SYNTH_TABLE_CRC: {1: "PMR kort"}})
    assert ar.sessions()[0].protocol_name == "PMR kort"
    ar.store("d", session(3, T0, protocol=2))
    assert ar.sessions()[1].protocol_name is None
    ar.add_protocol_names({SYNTH_TABLE_CRC: {2: "Ademhaling 4-6"}})
    assert ar.sessions()[1].protocol_name == "Ademhaling 4-6"


def test_wall_clock_reconstructed_from_same_boot(ar):
    later = T0 + dt.timedelta(hours=3)
    recs = (session(1, None, boot=4, uptime_s=1000)
            + session(3, later, boot=4, uptime_s=1000 + 3 * 3600)
            + session(5, None, boot=5, uptime_s=50))
    ar.store("d", recs)
    s1, s2, s3 = ar.sessions()
    assert s1.wall_s == int(T0.timestamp()) and s1.wall_source == "uptime"
    assert s2.wall_source == "device"
    assert s3.wall_s is None
    # a clock sync later in boot 5 dates it
    ar.add_clock_anchor("d", 5, 650, int(T0.timestamp()) + 600)
    assert ar.sessions()[2].wall_s == int(T0.timestamp())
    assert reconstruct(10, []) is None
    assert reconstruct(10, [(0, 100), (1000, 2000)]) == 110


def test_schema_version_and_migration(tmp_path):
    p = tmp_path / "a.sqlite3"
    with Archive(p) as a:
        assert a.schema_version == SCHEMA_VERSION
        a.store("d", week(1))
    with Archive(p) as a:  # reopening keeps data
        assert len(a.sessions()) == 1
    con = sqlite3.connect(p)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(OntspanError, match="update ontspan"):
        Archive(p)


def test_default_path_env(tmp_path, monkeypatch):
    from ontspan.archive.store import default_path
    monkeypatch.setenv("ONTSPAN_ARCHIVE", str(tmp_path / "x.db"))
    assert default_path() == tmp_path / "x.db"


def test_pull_is_incremental_and_resumable(ar):
    link = FakeLink("pico-1", week(10), fail_after=2)
    seen = []
    with pytest.raises(ConnectionError):
        pull(link, ar, seen.append, batch=3)
    assert seen == [3, 3] and ar.last_seq("pico-1") == 6   # committed batches kept
    link.fail_after = None
    res = pull(link, ar, seen.append, batch=3)
    assert (res.new, res.duplicate, res.last_seq) == (14, 0, 20)
    assert len(ar.sessions()) == 10
    # the device gains a session; the next pull fetches only it, then clears
    link.records.update({r.seq: encode(r) for r in session(21, T0)})
    res = pull(link, ar, batch=3, clear=True)
    assert (res.new, res.duplicate, res.cleared_upto) == (2, 0, 22) and link.cleared == 22
    assert pull(link, ar).new == 0


def test_refetched_records_complete_sessions_without_duplicating(ar):
    link = FakeLink("p", week(3))
    pull(link, ar)
    ar.db.execute("DELETE FROM records WHERE seq > 2")  # as if the archive lost a tail
    ar.db.commit()
    res = pull(link, ar)
    assert res.new == 4 and len(ar.sessions()) == 3
