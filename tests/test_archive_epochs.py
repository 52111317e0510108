"""The archive never loses a session: log epochs, wipes, clashes, schema migration."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from ontspan.archive.pull import pull
from ontspan.archive.store import SCHEMA_VERSION, Archive
from ontspan.cli.main import main
from ontspan.logformat import encode
from synth_logs import FakeLink, raw, session

T0 = dt.datetime(2026, 11, 2, 21, 30).astimezone()
DATA = Path(__file__).parent / "data" / "archive"


def days(first_day, n, start_seq=1, boot=1):
    recs = []
    for d in range(n):
        recs += session(start_seq + 2 * d, T0 + dt.timedelta(days=first_day + d), before=7,
                        after=4, boot=boot, uptime_s=100 + d)
    return recs


@pytest.fixture
def ar(tmp_path):
    with Archive(tmp_path / "a.sqlite3") as a:
        yield a


def test_reformatted_device_is_a_new_log_and_all_four_sessions_stay(ar):
    link = FakeLink("pico", days(0, 2), epoch="aaaa0001")
    res = pull(link, ar)
    assert (res.new, res.notes, res.epoch) == (4, [], "aaaa0001")
    link.wipe("bbbb0002", days(5, 2))  # same device id, seqs 1..4 again
    res = pull(link, ar)
    assert res.new == 4 and res.epoch == "bbbb0002"
    (note,) = res.notes
    assert "new log epoch bbbb0002 (was aaaa0001)" in note and "\n" not in note
    assert len(ar.sessions("pico")) == 4
    assert [s.epoch for s in ar.sessions()] == ["aaaa0001"] * 2 + ["bbbb0002"] * 2
    # later pulls continue the new log quietly
    link.records.update({r.seq: encode(r) for r in session(5, T0 + dt.timedelta(days=9))})
    res = pull(link, ar)
    assert (res.new, res.duplicate, res.notes, res.last_seq) == (2, 0, [], 6)
    assert pull(link, ar).new == 0 and len(ar.sessions()) == 5


def test_firmware_before_epochs_wiped_is_caught_by_the_seq_going_back(ar):
    link = FakeLink("old", days(0, 2), epoch=None)
    pull(link, ar)
    link.wipe(None, days(5, 1))  # seqs 1..2: below the archived 4
    res = pull(link, ar)
    assert res.new == 2 and res.epoch == "v1-2" and "went back to seq 2" in res.notes[0]
    link.records.update({r.seq: encode(r) for r in session(3, T0 + dt.timedelta(days=7))})
    res = pull(link, ar)
    assert (res.new, res.notes, res.epoch) == (2, [], "v1-2")
    assert len(ar.sessions()) == 4


def test_firmware_before_epochs_wiped_and_refilled_is_caught_by_the_overlap(ar):
    link = FakeLink("old", days(0, 2), epoch=None)
    pull(link, ar)
    link.wipe(None, days(5, 3))  # seqs 1..6: past the archived 4, but other sessions
    res = pull(link, ar)
    assert res.new == 6 and "record 4 is not the archived one" in res.notes[0]
    assert len(ar.sessions()) == 5


def test_firmware_update_to_epochs_keeps_one_log(ar):
    recs = days(0, 3)
    link = FakeLink("pico", recs, epoch=None)
    pull(link, ar)
    link.epoch = "cccc0003"  # the same logbook, given an epoch by the new firmware
    link.records.update({r.seq: encode(r) for r in session(7, T0 + dt.timedelta(days=4))})
    res = pull(link, ar)
    assert (res.new, res.duplicate, res.notes, res.epoch) == (2, 0, [], "")
    assert len(ar.sessions()) == 4 and ar.epoch_for("pico", "cccc0003") == ""


def test_firmware_update_after_a_clear_keeps_one_log(ar):
    link = FakeLink("pico", days(0, 2), epoch=None)
    pull(link, ar, clear=True)
    link.epoch = "dddd0004"
    link.records.update({r.seq: encode(r) for r in session(5, T0 + dt.timedelta(days=4))})
    res = pull(link, ar)
    assert (res.new, res.notes, res.epoch) == (2, [], "")


def test_log_changing_during_the_pull_is_an_error_and_keeps_what_arrived(ar):
    link = FakeLink("pico", days(0, 4), epoch="aaaa0001")
    real = link.get_logs

    def flip(from_seq, max_count):
        out = real(from_seq, max_count)
        if from_seq > 1:
            link.last_log_epoch = "ffff9999"
        return out

    link.get_logs = flip
    with pytest.raises(Exception, match="log changed during the pull"):
        pull(link, ar, batch=2)
    assert ar.last_seq("pico", "aaaa0001") == 2


def test_identical_records_of_logs_before_epochs_move_rather_than_double(ar):
    recs = raw(days(0, 2))
    ar.store("d", recs, epoch="")
    st = ar.store_batch("d", recs, epoch="v1-2", reported="")
    assert (st.new, st.duplicate, st.moved) == (0, 4, 4)
    assert [s.epoch for s in ar.sessions()] == ["v1-2"] * 2


def test_a_new_epoch_is_trusted_even_with_byte_identical_records(ar):
    # a fast wiped sim can write the very same bytes again: the epoch tells them apart
    link = FakeLink("pico", days(0, 2), epoch="aaaa0001")
    pull(link, ar)
    link.wipe("bbbb0002", days(0, 2))
    res = pull(link, ar)
    assert (res.new, res.duplicate, res.epoch) == (4, 0, "bbbb0002") and res.notes
    assert len(ar.sessions()) == 4


def test_identical_records_of_a_wiped_device_are_sessions_of_their_own(ar):
    # a wiped device, clock not set, started at the same uptime: the same bytes again
    link = FakeLink("pico", days(0, 2), epoch="aaaa0001")
    assert pull(link, ar).new == 4
    link.wipe("bbbb0002", days(0, 2))
    res = pull(link, ar)
    assert (res.new, res.duplicate, res.epoch) == (4, 0, "bbbb0002")
    assert sorted(s.epoch for s in ar.sessions()) == ["aaaa0001"] * 2 + ["bbbb0002"] * 2


def test_clashes_are_kept_aside_and_listed(ar, tmp_path, capsys):
    ar.store("d", raw(session(1, T0, before=3)), epoch="e1")
    st = ar.store_batch("d", raw(session(1, T0, before=9)), epoch="e1")
    assert (st.new, st.clashes) == (0, 2)
    ar.store_batch("d", raw(session(1, T0, before=9)), epoch="e1")  # listed once
    assert len(ar.conflicts()) == 2 and ar.conflicts()[0]["archived"] is not None
    assert main(["logs", "conflicts", "--db", str(ar.path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("d log e1 seq 1: pulled ")


def test_migration_from_a_schema_1_archive_keeps_every_session(tmp_path, capsys):
    p = tmp_path / "old.sqlite3"
    shutil.copy(DATA / "schema1.sqlite3", p)
    with Archive(p) as a:
        assert a.schema_version == SCHEMA_VERSION
        a_sess = a.sessions("patiënt A")
        assert [(s.seq, s.outcome, s.epoch) for s in a_sess] == [
            (1, "COMPLETED", ""), (3, "COMPLETED", ""), (5, "STOPPED", ""),
            (7, "POWER_CUT", ""), (9, "NONE", "")]
        assert a_sess[3].wall_source == "uptime" and a_sess[0].protocol_name == "pmr-kort"
        assert a_sess[0].before == 7 and a_sess[0].after == 4
        # device B's clash of schema 1 is a session again, in a log of its own
        b = a.sessions("patient B")
        assert [(s.seq, s.epoch, s.before) for s in b] == [(1, "", 9), (1, "v1-2", 4)]
        assert a.conflicts() == []
        assert [e["epoch"] for e in a.epochs("e66141aaaabbbb01")] == ["", "v1-2"]
        assert a.last_seq("e66141aaaabbbb01") == 2  # pulls continue the newest log
        # the START whose END was not pulled yet is completed by the next pull
        dev_a = "e6614103e7a1b2c3"
        link = FakeLink(dev_a, [], epoch="abcd0001")
        link.records = {r[0]: bytes(r[1]) for r in a.db.execute(
            "SELECT seq, raw FROM records WHERE device_id = ?", (dev_a,))}
        start9 = a.raw_at(dev_a, "", 9)
        from ontspan.logformat import Outcome, decode, end_of
        end9 = end_of(decode(start9), 880, 3, 12, Outcome.COMPLETED, 2)
        link.records[10] = encode(end9)
        res = pull(link, a)
        assert (res.new, res.notes, res.epoch) == (1, [], "")
        assert a.sessions(dev_a)[-1].outcome == "COMPLETED"
    with Archive(p) as a:  # reopening does not migrate again
        assert len(a.sessions()) == 7


def test_missed_moments_are_kept_apart_from_sessions(ar):
    from ontspan.logformat import NOT_RATED, Outcome, Record, RecordType

    missed = Record(RecordType.MISSED, 3, 1, 900, int(T0.timestamp()), 4, 0x5EED5EED, 600, 0,
                    0, 0, Outcome.NONE, NOT_RATED, NOT_RATED, 2, 1)
    ar.store("d", raw(session(1, T0)) + [encode(missed)], epoch="e1")
    assert len(ar.sessions()) == 1
    (m,) = ar.missed()
    assert (m["seq"], m["moment"], m["protocol"], m["epoch"]) == (3, 1, 4, "e1")


def test_new_epoch_line_is_said_once_even_when_the_first_pull_was_cut(ar):
    link = FakeLink("pico", days(0, 2), epoch="aaaa0001")
    pull(link, ar)
    link.wipe("bbbb0002", days(5, 2))
    link.fail_after = link.calls + 1  # the first GET_LOGS of the next pull answers, then the cable goes
    with pytest.raises(ConnectionError):
        pull(link, ar, batch=2)
    assert len(ar.sessions("pico")) == 3  # what arrived is kept
    link.fail_after = None
    res = pull(link, ar, batch=2)
    (note,) = res.notes
    assert "new log epoch bbbb0002 (was aaaa0001)" in note
    assert (res.new, res.epoch) == (2, "bbbb0002") and len(ar.sessions("pico")) == 4
    assert pull(link, ar).notes == []
