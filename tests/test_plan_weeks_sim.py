"""Two weeks of a practice plan on the simulated device, lived through with jumps:
two moments a day, some answered by a tap on the reminder's glow, some started
late from the PC, some left alone, one session outside the plan and one too
short to count. Then `logs pull` and `report --plan-file` through the CLI, and
the report's adherence (per moment, per week, the block, the trial) is exactly
what was done. Device time passes only by jumps (the sim runs at 1x), so a busy
machine changes nothing the device sees; every wait is for a state."""

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.device import client
from ontspan.shared import C

DATA = Path(__file__).parent / "data" / "plan"
IDLE, PLAYING, RATING, REMINDER = C.STATE_IDLE, C.STATE_PLAYING, C.STATE_RATING, C.STATE_REMINDER
DAYS = 14
MOMENTS = (("13:00", "oefen-dag"), ("21:30", "oefen-avond"))
MINUTE = (13 * 60, 21 * 60 + 30)
# what the client does at each moment, day by day (week 1, then week 2):
# tap = the reminder's glow is tapped, late = started from the PC after the
# window closed, miss = nothing (on day 6 a session too short to count is stopped)
DONE = {
    0: "tap tap tap late tap miss tap  miss tap late tap tap miss miss",
    1: "tap miss tap tap late tap miss  tap tap miss late tap tap miss",
}
STATUS = {"tap": "on_time", "late": "late", "miss": "missed"}
RATINGS = [(7, 4), (6, 6), (8, 3), (5, 2)]  # the first four sessions: the trial
EXTRA_AT = (2, 9 * 60)  # a session before the day's first slot: extra practice
SHORT_AT = (6, 22 * 60)  # stopped after 20 s: not practice, the moment stays missed


@pytest.fixture
def utc(monkeypatch):
    """Device and report both in UTC: no daylight-saving change inside the two weeks."""
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


class Client:
    """The patient's side: the button (control FIFO) and time passing (jumps)."""

    def __init__(self, dev, start: dt.date):
        self.dev = dev
        self.start = start
        self.port = ["--port", dev.port]
        self.ratings = list(RATINGS)

    def ask(self, fn):
        with client.Link(self.dev.port) as lk:
            lk.hello()
            return fn(lk)

    def state(self) -> int:
        return self.ask(lambda lk: lk.status().state)

    def now(self) -> int:
        return self.ask(lambda lk: lk.get_clock().epoch)

    def at(self, day: int, minute: int) -> int:
        t = dt.datetime.combine(self.start + dt.timedelta(days=day), dt.time(), dt.UTC)
        return int(t.timestamp()) + minute * 60

    def go(self, day: int, minute: int) -> None:
        """Live on until that minute of that day."""
        ahead = self.at(day, minute) - self.now()
        assert ahead > 0, f"day {day} minute {minute} is already past"
        self.dev.jump(ahead)

    def live_until(self, state: int, step: int = 5) -> None:
        """Let time pass in small steps until the device is in `state`."""
        for _ in range(400):
            if self.state() == state:
                return
            self.dev.jump(step)
        pytest.fail(f"the device never reached state {state}")

    def press(self, *gestures: str) -> None:
        for g in gestures:
            self.dev.inject(g)

    def session(self, first: str) -> None:
        """A session from its first press (`tap` on the glow) or a PC `start`, rated
        while trial ratings are left, else its ratings left to time out."""
        rated = self.ratings.pop(0) if self.ratings else None
        if first == "tap":
            self.press("tap")
        else:
            assert main(["start", first, *self.port]) == 0
        wait_for(lambda: self.state() == RATING, timeout=30)
        if rated:
            self.press(*["tap"] * rated[0], "hold")
        self.live_until(PLAYING)
        self.live_until(RATING if rated else IDLE, step=5 if rated else 15)
        if rated:
            self.press(*["tap"] * rated[1], "hold")
            self.live_until(IDLE)


def test_two_weeks_of_a_plan_and_the_report(make_sim, tmp_path, capsys, utc):
    start = dt.date.today() - dt.timedelta(days=DAYS)  # the two weeks ended yesterday
    dev = make_sim("pico", speed=1, trace=False)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    c = Client(dev, start)
    assert main(["flash", *c.port, str(DATA / "oefen-dag.toml"), str(DATA / "oefen-avond.toml")]) == 0
    plan = _plan_file(tmp_path, start)
    assert main(["plan", "set", str(plan), *c.port]) == 0
    c.ask(lambda lk: lk.set_clock(c.at(0, 8 * 60), 0))
    capsys.readouterr()
    done = {m: DONE[m].split() for m in DONE}
    expect = []  # (day, moment, status)
    for day in range(DAYS):
        if day == EXTRA_AT[0]:
            c.go(day, EXTRA_AT[1])
            c.session("oefen-dag")
        for m, (_, proto) in enumerate(MOMENTS):
            what = done[m][day]
            if what == "tap":
                c.go(day, MINUTE[m] + 2)
                wait_for(lambda: c.state() == REMINDER, timeout=30)
                c.session("tap")
            elif what == "late":
                c.go(day, MINUTE[m] + 40)  # the 15-min window is long closed
                assert c.state() == IDLE
                c.session(proto)
            elif (day, m) == (SHORT_AT[0], 1):
                c.go(day, SHORT_AT[1])
                assert main(["start", proto, *c.port]) == 0
                c.live_until(PLAYING)
                dev.jump(20)
                assert main(["stop", *c.port]) == 0
            expect.append((start + dt.timedelta(days=day), m, STATUS[what]))
    c.go(DAYS - 1, 23 * 60 + 59)  # the last window has closed
    assert not c.ratings
    db = str(tmp_path / "archive.sqlite3")
    capsys.readouterr()
    assert main(["logs", "pull", *c.port, "--db", db]) == 0
    capsys.readouterr()
    assert main(["report", "--db", db, "-o", str(tmp_path / "r.html"), "--json",
                 "--plan-file", str(plan)]) == 0
    doc = json.loads(capsys.readouterr().out)[0]["plan"]

    got = [(dt.date.fromisoformat(o["day"]), o["moment"], o["status"]) for o in doc["occurrences"]]
    assert got == expect

    def counts(rows):
        n = {s: sum(1 for r in rows if r[2] == s) for s in ("on_time", "late", "missed")}
        return {**n, "planned": len(rows)}

    assert doc["total"] == counts(expect)
    for m in range(len(MOMENTS)):
        row = doc["moments"][m]
        assert (row["time"], row["protocol"]) == MOMENTS[m]
        assert {k: row[k] for k in doc["total"]} == counts([e for e in expect if e[1] == m])
    assert doc["weeks"] == {str(w + 1): counts(expect[w * 14 : w * 14 + 14]) for w in range(2)}
    # the device logged every window it saw close unanswered: late and missed alike
    assert [o["reminded"] for o in doc["occurrences"]] == [s != "on_time" for _, _, s in expect]
    assert doc["extra_sessions"] == 1
    assert doc["block"] == {"day": 15, "days": 21, "time_to_judge": False, "text": "day 15 of 21"}
    trial = doc["trial"]
    before = [b for b, _ in RATINGS]
    after = [a for _, a in RATINGS]
    assert [(s["before"], s["after"]) for s in trial["sessions"]] == RATINGS
    assert trial["sessions"][3]["day"] == str(start + dt.timedelta(days=EXTRA_AT[0]))
    assert (trial["done"], trial["complete"], trial["rated"]) == (4, True, 4)
    assert trial["drops"] == sum(1 for b, a in RATINGS if b > a)
    assert trial["mean_before"] == round(sum(before) / 4, 1)
    assert trial["mean_after"] == round(sum(after) / 4, 1)
