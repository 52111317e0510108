"""Two patients on two simulated devices through the CLI, three weeks lived with
jumps: plans of two moments a day, sessions, misses and ratings; then Anna's
device is wiped and handed to Bob. `ontspan report anna` is Anna's alone, titled
Anna, says 2 moments a day, and its numbers are `logs export --moments`'s,
moment by moment."""

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.shared import C
from test_plan_weeks_sim import DATA, MINUTE, MOMENTS, Client

DAYS = 21
IDLE, REMINDER = C.STATE_IDLE, C.STATE_REMINDER
# (day, moment) -> what the patient does; every other moment of the block is missed
# (taps at most 6 days apart: the firmware's tick differences wrap after 2^29 ms)
ANNA = {(0, 0): "tap", (0, 1): "tap", (1, 0): "late", (2, 1): "tap", (5, 0): "tap",
        (9, 1): "late", (10, 0): "tap", (15, 0): "tap", (20, 1): "tap"}
ANNA_RATINGS = [(7, 4), (6, 6), (8, 3), (5, 2)]
BOB = {(0, 0): "tap", (3, 1): "tap", (10, 0): "late"}
STATUS = {"tap": "on_time", "late": "late"}


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)
    yield
    monkeypatch.undo()
    time.tzset()


def _plan_file(tmp_path: Path, start: dt.date) -> Path:
    end = start + dt.timedelta(days=DAYS - 1)
    moments = "".join(f'[[moment]]\ntime = "{t}"\nprotocol = "{p}"\n' for t, p in MOMENTS)
    f = tmp_path / "plan.toml"
    f.write_text(f"[plan]\nstart = {start}\nend = {end}\nweeks = 3\ntrial_sessions = 4\n{moments}")
    return f


def _boot(make_sim, name: str, start: dt.date, ratings: list) -> Client:
    dev = make_sim(name, speed=1, trace=False)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    c = Client(dev, start)
    c.ratings = list(ratings)
    assert main(["flash", *c.port, str(DATA / "oefen-dag.toml"),
                 str(DATA / "oefen-avond.toml")]) == 0
    return c


def _live(c: Client, plan: dict) -> None:
    """The block day by day: each planned action at its moment, misses by jumping on."""
    today = 0
    for (day, m), what in sorted(plan.items()):
        while today < day - 1:  # a day at a time, as the device lives them
            today += 1
            c.go(today, 23 * 60)
        today = day
        if what == "tap":
            c.go(day, MINUTE[m] + 2)
            wait_for(lambda: c.state() == REMINDER, timeout=30)
            c.session("tap")
        else:
            c.go(day, MINUTE[m] + 40)  # the window is long closed
            assert c.state() == IDLE
            c.session(MOMENTS[m][1])
    c.go(DAYS - 1, 23 * 60 + 59)


def test_two_patients_a_handed_on_device_and_annas_report(make_sim, tmp_path, capsys, utc):
    start = dt.date.today() - dt.timedelta(days=DAYS)  # the block ended yesterday
    db = ["--db", str(tmp_path / "archive.sqlite3")]
    plan = _plan_file(tmp_path, start)
    a = _boot(make_sim, "pico-a", start, ANNA_RATINGS)
    b = _boot(make_sim, "pico-b", start, [(6, 3)])
    since = ["--from", str(start - dt.timedelta(days=1))]
    for name, c in (("Anna", a), ("Bob", b)):
        assert main(["patient", "add", name, *db]) == 0
        assert main(["patient", "link", name.lower(), *c.port, *since, *db]) == 0
        c.ask(lambda lk, c=c: lk.set_clock(c.at(0, 8 * 60), 0))
        capsys.readouterr()
        assert main(["plan", "set", str(plan), *c.port, *db]) == 0
        assert f"recorded as {name}'s plan" in capsys.readouterr().out
    _live(a, ANNA)
    _live(b, BOB)
    assert not a.ratings and not b.ratings
    for c in (a, b):
        assert main(["logs", "pull", *c.port, *db]) == 0
    dev_a, dev_b = a.dev.device_id, b.dev.device_id

    # Anna's device, wiped, goes to Bob on day 21; he practises on it once
    state = a.dev.state
    a.dev.stop()
    (state / "flash.img").unlink()
    a2 = _boot(make_sim, "pico-a", start, [])
    assert a2.dev.device_id == dev_a
    handed = f"{start + dt.timedelta(days=DAYS)}T00:00"
    assert main(["patient", "link", "Bob", "--port", a2.dev.port, "--from", handed, *db]) == 0
    assert "was Anna's until now" in capsys.readouterr().out
    a2.ask(lambda lk: lk.set_clock(a2.at(DAYS, 8 * 60), 0))
    a2.go(DAYS, 9 * 60)
    a2.session("oefen-dag")
    assert main(["logs", "pull", *a2.port, *db]) == 0
    assert "new log epoch" in capsys.readouterr().out

    out = tmp_path / "anna.html"
    assert main(["report", "anna", "-o", str(out), "--lang", "en", *db]) == 0
    page = out.read_text()
    capsys.readouterr()
    assert main(["logs", "export", "--moments", "--json", "--patient", "Anna", *db]) == 0
    rows = json.loads(capsys.readouterr().out)

    expect = [(start + dt.timedelta(days=d), MOMENTS[m][0], STATUS.get(ANNA.get((d, m), ""),
                                                                     "missed"))
              for d in range(DAYS) for m in range(2)]
    assert [(dt.date.fromisoformat(r["date"]), r["time"], r["status"]) for r in rows] == expect
    assert {r["device_id"] for r in rows if r["seq"]} == {dev_a}
    # titled Anna, her sessions only, the plan's 2 moments a day wherever a plan is said
    assert "<title>Anna</title>" in page and "<h1>Anna</h1>" in page
    table = page.split("All sessions")[1]
    assert len(re.findall(r"<tr><td class='n'>\d+</td>", table)) == len(ANNA)
    assert "Bob" not in page and dev_b not in page
    assert page.count("2 moments a day") == 1 and not re.search(r"\d+ sessions? a day", page)
    assert "The 21-day practice block is over: time to judge." in page
    # every count on the page is the export's, week by week and in total
    for week in (1, 2, 3):
        got = [r["status"] for r in rows if r["week"] == week]
        n = [got.count(s) for s in ("on_time", "late", "missed")]
        assert (f"<tr><td>week {week}</td><td class='n'>{n[0]}</td><td class='n'>{n[1]}</td>"
                f"<td class='n'>{n[2]}</td><td class='n'>{len(got)}</td></tr>") in page
    assert "week 4" not in page
    total = [r["status"] for r in rows]
    assert (f"{total.count('on_time')} of {len(total)} planned moments practised on time, "
            f"{total.count('late')} late, {total.count('missed')} missed") in page
    assert "4 of 4 trial sessions rated before and after" in page
    assert "3 of 4 showed a drop" in page

    # Bob: his sessions on both devices, his device B plan
    assert main(["logs", "export", "--json", *db]) == 0
    sessions = json.loads(capsys.readouterr().out)
    assert {s["patient"] for s in sessions if s["device_id"] == dev_b} == {"Bob"}
    by_epoch = {}
    for s in sessions:
        if s["device_id"] == dev_a:
            by_epoch.setdefault(s["epoch"], set()).add(s["patient"])
    assert sorted(sorted(v) for v in by_epoch.values()) == [["Anna"], ["Bob"]]
    assert main(["patient", "show", "bob", "--json", *db]) == 0
    bob = json.loads(capsys.readouterr().out)
    assert [x["device_id"] for x in bob["links"]] == [dev_b, dev_a]
    assert bob["sessions"] == len(BOB) + 1
