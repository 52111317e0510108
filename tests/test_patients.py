"""Patients on the PC: records, links to devices over time, plans, sessions by link,
the archive migrating to them from every earlier schema, and the CLI."""

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from ontspan.archive import patients as pt
from ontspan.archive.store import SCHEMA_VERSION, Archive
from ontspan.cli.main import main
from ontspan.errors import InputError
from ontspan.plan.check import parse_plan
from synth_logs import session

DATA = Path(__file__).parent / "data" / "archive"
T0 = dt.datetime(2026, 10, 5, 20, 0).astimezone()
DEV_A, DEV_B = "e66141aa00000001", "e66141bb00000002"
PLAN = """[plan]
start = 2026-10-05
weeks = 3
trial_sessions = 4
[[moment]]
time = "08:00"
protocol = "ochtend"
[[moment]]
time = "20:00"
protocol = "avond"
"""


@pytest.fixture
def ar(tmp_path):
    with Archive(tmp_path / "a.sqlite3") as a:
        yield a


def test_add_find_and_did_you_mean(ar):
    anna = pt.add_patient(ar, "Anna", "knee")
    assert (anna.name, anna.note) == ("Anna", "knee")
    assert pt.find_patient(ar, "anna") == anna == pt.find_patient(ar, str(anna.id))
    with pytest.raises(InputError, match="exists already"):
        pt.add_patient(ar, "ANNA")
    with pytest.raises(InputError, match="did you mean 'Anna'"):
        pt.find_patient(ar, "Ana")
    with pytest.raises(InputError, match="empty"):
        pt.add_patient(ar, "  ")
    with pytest.raises(InputError, match="control"):
        pt.add_patient(ar, "Bo\x1b[2J")
    assert [p.name for p in pt.list_patients(ar)] == ["Anna"]


def test_a_device_handed_on_belongs_to_one_patient_at_a_time(ar):
    anna, bob = pt.add_patient(ar, "Anna"), pt.add_patient(ar, "Bob")
    pt.link_device(ar, anna, DEV_A, T0)
    pt.link_device(ar, bob, DEV_B, T0)
    handover = T0 + dt.timedelta(days=10)
    pt.link_device(ar, bob, DEV_A, handover)  # Bob takes Anna's device (and gives his back)
    assert pt.device_of(ar, anna) is None and pt.device_of(ar, bob) == DEV_A
    assert pt.patient_of(ar, DEV_A, T0 + dt.timedelta(days=1)) == anna
    assert pt.patient_of(ar, DEV_A, handover) == bob
    assert pt.patient_of(ar, DEV_B, handover) is None
    assert [(x.device_id, x.end) for x in pt.links_of(ar, bob)] == [
        (DEV_B, pt.iso(handover)), (DEV_A, None)]
    with pytest.raises(InputError, match="forward in time"):
        pt.link_device(ar, anna, DEV_A, T0)
    pt.unlink_device(ar, bob, handover + dt.timedelta(days=1))
    with pytest.raises(InputError, match="no device linked"):
        pt.unlink_device(ar, bob)


def test_sessions_go_to_the_patient_whose_link_covered_them(ar):
    anna, bob = pt.add_patient(ar, "Anna"), pt.add_patient(ar, "Bob")
    pt.link_device(ar, anna, DEV_A, T0 - dt.timedelta(hours=1))
    ar.store(DEV_A, session(1, T0) + session(3, T0 + dt.timedelta(days=1)), epoch="e1")
    pt.link_device(ar, bob, DEV_A, T0 + dt.timedelta(days=2))
    # wiped and handed on: a new log, seqs from 1 again
    ar.store(DEV_A, session(1, T0 + dt.timedelta(days=3), before=6, after=2), epoch="e2")
    assert [(s.epoch, s.seq) for s in pt.sessions_of(ar, anna)] == [("e1", 1), ("e1", 3)]
    assert [(s.epoch, s.seq) for s in pt.sessions_of(ar, bob)] == [("e2", 1)]
    # --device takes a patient: the device linked now
    assert ar.resolve_device("bob") == DEV_A == pt.resolve_device(ar, str(bob.id))
    assert len(ar.sessions("Bob")) == 3  # the device's sessions, all of them
    with pytest.raises(InputError, match="Anna has no device linked"):
        ar.resolve_device("Anna")


def test_plans_are_periods_each_until_the_next(ar):
    anna = pt.add_patient(ar, "Anna")
    plan, _ = parse_plan(PLAN)
    assert plan is not None
    pt.record_plan(ar, anna, plan, PLAN, T0, DEV_A)
    later = PLAN.replace('"20:00"', '"21:00"')
    p2, _ = parse_plan(later)
    assert p2 is not None
    pt.record_plan(ar, anna, p2, later, T0 + dt.timedelta(days=9))
    got = pt.plans_of(ar, anna)
    assert [(x.plan.moments[1].time, x.end) for x in got] == [
        ("20:00", pt.iso(T0 + dt.timedelta(days=9))), ("21:00", None)]
    assert got[0].plan == plan and got[0].device_id == DEV_A
    with pytest.raises(InputError, match="errors"):
        pt.record_plan(ar, anna, plan, "[plan]\nstart = 3\n")


@pytest.mark.parametrize("version", [1, 2, 3])
def test_migrates_from_every_earlier_schema_with_nothing_lost(tmp_path, version):
    p = tmp_path / "old.sqlite3"
    shutil.copy(DATA / f"schema{version}.sqlite3", p)
    with sqlite3.connect(p) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == version
        before = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    with Archive(p) as a:
        assert a.schema_version == SCHEMA_VERSION == 4
        assert a.db.execute("SELECT COUNT(*) FROM records").fetchone()[0] >= before
        n = len(a.sessions())
        assert n == (7 if version == 1 else 9)
        anna = pt.add_patient(a, "Anna")
        pt.link_device(a, anna, "e6614103e7a1b2c3", dt.datetime(2000, 1, 1).astimezone())
        assert len(pt.sessions_of(a, anna)) == len(a.sessions("e6614103e7a1b2c3"))
        assert a.sessions("Anna") == a.sessions("e6614103e7a1b2c3")
    with Archive(p) as a:  # reopened: migrated once, the patient kept
        assert a.schema_version == SCHEMA_VERSION and len(a.sessions()) == n
        assert [x.name for x in pt.list_patients(a)] == ["Anna"]


def test_patient_cli(tmp_path, capsys):
    db = ["--db", str(tmp_path / "a.sqlite3")]
    assert main(["patient", "add", "Anna", "--note", "pilot", *db]) == 0
    assert main(["patient", "add", "Bob", *db]) == 0
    assert main(["patient", "add", "anna", *db]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["patient", "link", "Anna", DEV_A, "--from", "2026-10-05", *db]) == 0
    assert main(["patient", "link", "Bob", DEV_A, "--from", "2026-10-20T09:30", *db]) == 0
    out = capsys.readouterr().out
    assert "was Anna's until now" in out
    assert main(["patient", "list", "--json", *db]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [(d["name"], d["device"], d["note"]) for d in docs] == [
        ("Anna", None, "pilot"), ("Bob", DEV_A, "")]
    assert main(["patient", "show", "anna", "--json", *db]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [x["device_id"] for x in doc["links"]] == [DEV_A] and doc["links"][0]["end"]
    assert main(["patient", "show", "anna", *db]) == 0
    assert "no plan yet" in capsys.readouterr().out
    assert main(["patient", "show", "Ann", *db]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'Anna'" in err and "Traceback" not in err
    assert main(["patient", "unlink", "Bob", *db]) == 0
    assert main(["patient", "unlink", "Bob", *db]) == 2
    with pytest.raises(SystemExit) as e:
        main(["patient", "link", "Bob", "x", "--from", "yesterday", *db])
    assert e.value.code == 2
    assert "not a date" in capsys.readouterr().err
