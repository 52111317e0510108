"""A practice plan on the simulated device, through the CLI: the reminder glows at
its moment (night palette at night), status says so, a tap plays the moment's
protocol, a moment left alone is logged missed, and the report counts both."""

import datetime as dt
import json

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli import main
from ontspan.device import client
from ontspan.paths import PROTOCOLS_DIR

SPEED = 60  # a device minute is a second
REMINDER, PLAYING, IDLE = 4, 1, 0


@pytest.fixture(autouse=True)
def _no_port_env(monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)


def _device_minute(lk) -> int:
    c = lk.get_clock()
    return (c.epoch // 60 + c.tz_minutes) % 1440


def test_reminder_tap_missed_and_report(make_sim, tmp_path, capsys):
    dev = make_sim("pico", speed=SPEED)
    wait_for(lambda: hello_or_none(dev.port), timeout=15)
    port = ["--port", dev.port]
    assert main(["flash", *port, str(PROTOCOLS_DIR / "pmr-kort.toml"),
                 str(PROTOCOLS_DIR / "lijf-check.toml")]) == 0
    # the device lives yesterday evening (local time here), so the report's "now" is later
    day = dt.date.today() - dt.timedelta(days=1)
    at = dt.datetime.combine(day, dt.time(21, 0)).astimezone()
    tz = int(at.utcoffset().total_seconds() // 60)
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""[plan]
start = {day}
end = {day}
weeks = 2
[[moment]]
time = "21:03"
protocol = "pmr-kort"
window = 5
[[moment]]
time = "21:12"
protocol = "lijf-check"
window = 5
""")
    with client.Link(dev.port) as lk:
        lk.hello()
        assert main(["plan", "set", str(plan), *port]) == 0
        assert "reminders wait for" in capsys.readouterr().out  # clock not set yet
        lk.set_clock(int(at.timestamp()), tz)
        assert main(["plan", "show", "--json", *port]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert [m["protocol"] for m in shown["plan"]["moments"]] == ["pmr-kort", "lijf-check"]
        assert _device_minute(lk) < 21 * 60 + 3 and lk.status().state == IDLE
        wait_for(lambda: lk.status().state == REMINDER, timeout=60)
        assert main(["status", "--json", *port]) == 0
        st = json.loads(capsys.readouterr().out)
        assert st["state"] == "reminder" and st["protocol"]["name"] == "pmr-kort"
        assert 21 * 60 + 3 <= _device_minute(lk) < 21 * 60 + 8
        dev.inject("tap")
        wait_for(lambda: lk.status().state == PLAYING, timeout=10)
        assert lk.status().protocol == lk.info()["protocols"][0]  # pmr-kort, not lijf-check
        wait_for(lambda: lk.status().elapsed_s >= 90, timeout=30)
        lk.stop()
        # the second moment is left alone: its window closes at 21:17
        wait_for(lambda: _device_minute(lk) >= 21 * 60 + 18, timeout=60)
        assert lk.status().state == IDLE
    trace = [line.split() for line in dev.trace_lines()]
    tap_ms = next(int(t[1]) for t in trace if t[0] == "B" and t[2] == "tap")
    before = [t for t in trace if t[0] in ("F", "M") and int(t[1]) < tap_ms]
    lit = [bytes.fromhex(t[2]) for t in before if t[0] == "F" and any(bytes.fromhex(t[2]))]
    assert len(lit) > 5 and all(px[2::3] == bytes(len(px) // 3) for px in lit)  # night: no blue
    assert all(t[3] == "0" for t in before if t[0] == "M")  # the reminder never buzzes
    db = str(tmp_path / "a.sqlite3")
    assert main(["logs", "pull", *port, "--db", db]) == 0
    capsys.readouterr()
    assert main(["report", "--db", db, "-o", str(tmp_path / "r.html"), "--json",
                 "--plan-file", str(plan)]) == 0
    doc = json.loads(capsys.readouterr().out)["plan"]
    assert doc["total"] == {"on_time": 1, "late": 0, "missed": 1, "planned": 2}
    assert [o["status"] for o in doc["occurrences"]] == ["on_time", "missed"]
    assert doc["occurrences"][1]["reminded"]  # the device logged it missed
