"""A practice plan on the simulated device, through the CLI: the reminder glows at
its moment (night palette at night), status says so, a tap plays the moment's
protocol, a moment left alone is logged missed, and the report counts both.
The sim runs at 1x and device time moves on by jumps: what the device sees does
not depend on how busy the machine is, and every wait is for a state."""

import datetime as dt
import json

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.device import client
from ontspan.paths import PROTOCOLS_DIR
from ontspan.shared import C

REMINDER, PLAYING, IDLE = C.STATE_REMINDER, C.STATE_PLAYING, C.STATE_IDLE


@pytest.fixture(autouse=True)
def _no_port_env(monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)


def _device_minute(lk) -> int:
    c = lk.get_clock()
    return (c.epoch // 60 + c.tz_minutes) % 1440


def _glow(trace: list[str]) -> list[bytes]:
    """Ring frames of the reminder: every LED the same, lit (the boot dot is one LED)."""
    frames = [bytes.fromhex(t.split()[2]) for t in trace if t.startswith("F ")]
    return [px for px in frames if any(px)
            and len({px[i : i + 3] for i in range(0, len(px), 3)}) == 1]


def test_reminder_tap_missed_and_report(make_sim, tmp_path, capsys):
    dev = make_sim("pico", speed=1)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
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
    def ask(fn):
        with client.Link(dev.port) as lk:
            lk.hello()
            return fn(lk)

    other = tmp_path / "other.toml"
    other.write_text(f'[plan]\nstart = {day}\n[[moment]]\ntime = "08:00"\nprotocol = "pmr-17"\n')
    assert main(["plan", "set", str(other), *port]) == 2
    assert "does not have: pmr-17 (on the device: lijf-check, pmr-kort)" in capsys.readouterr().err
    assert main(["plan", "set", str(plan), *port]) == 0
    assert "plan stored: 2 moment(s)" in capsys.readouterr().out
    ask(lambda lk: lk.set_clock(int(at.timestamp()), tz))
    assert main(["plan", "show", "--json", *port]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [m["protocol"] for m in shown["plan"]["moments"]] == ["pmr-kort", "lijf-check"]
    assert ask(_device_minute) < 21 * 60 + 3 and ask(lambda lk: lk.status().state) == IDLE

    def go(minute: int) -> None:  # live on until that minute of the evening
        c = ask(lambda lk: lk.get_clock())
        dev.jump((at.date() - dt.date(1970, 1, 1)).days * 86400 + minute * 60
                 - tz * 60 - c.epoch)

    go(21 * 60 + 4)
    assert ask(lambda lk: lk.status().state) == REMINDER
    assert main(["status", "--json", *port]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["state"] == "reminder" and st["protocol"]["name"] == "pmr-kort"
    assert 21 * 60 + 3 <= ask(_device_minute) < 21 * 60 + 8
    wait_for(lambda: _glow(dev.trace_lines()), timeout=10)
    dev.inject("tap")
    wait_for(lambda: ask(lambda lk: lk.status().state) == PLAYING, timeout=10)
    assert ask(lambda lk: lk.status().protocol) == 2  # pmr-kort, the moment's, not lijf-check
    assert main(["plan", "clear", *port]) == 1  # never while a session plays
    assert "busy" in capsys.readouterr().err
    dev.jump(90)
    assert ask(lambda lk: lk.status().elapsed_s) >= 90
    ask(lambda lk: lk.stop())
    # the second moment is left alone: its window closes at 21:17
    go(21 * 60 + 18)
    assert ask(lambda lk: lk.status().state) == IDLE
    trace = dev.trace_lines()
    tap = next(n for n, t in enumerate(trace) if t.startswith("B ") and t.endswith(" tap"))
    glow = _glow(trace[:tap])
    assert glow and all(px[2::3] == bytes(len(px) // 3) for px in glow)  # night: no blue
    motor = [t.split() for t in trace[:tap] if t.startswith("M ")]
    assert all(m[3] == "0" for m in motor)  # the reminder never buzzes
    db = str(tmp_path / "a.sqlite3")
    assert main(["logs", "pull", *port, "--db", db]) == 0
    capsys.readouterr()
    assert main(["report", "--db", db, "-o", str(tmp_path / "r.html"), "--json",
                 "--plan-file", str(plan)]) == 0
    doc = json.loads(capsys.readouterr().out)[0]["plan"]  # one summary per device
    assert doc["total"] == {"on_time": 1, "late": 0, "missed": 1, "planned": 2}
    assert [o["status"] for o in doc["occurrences"]] == ["on_time", "missed"]
    assert doc["occurrences"][1]["reminded"]  # the device logged it missed
    assert main(["plan", "clear", *port]) == 0 and main(["plan", "show", *port]) == 0
    assert capsys.readouterr().out.endswith("no plan on the device\n")


def test_status_and_info_say_reminders_wait_for_the_clock(make_sim, tmp_path, capsys):
    dev = make_sim("pico", speed=1, trace=False)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    port = ["--port", dev.port]
    assert main(["flash", *port, str(PROTOCOLS_DIR / "pmr-kort.toml")]) == 0
    plan = tmp_path / "plan.toml"
    plan.write_text(f'[plan]\nstart = {dt.date.today()}\n[[moment]]\ntime = "13:00"\n'
                    'protocol = "pmr-kort"\n')

    def waiting() -> tuple[bool, bool, str]:
        capsys.readouterr()
        assert main(["status", "--json", *port]) == 0
        st = json.loads(capsys.readouterr().out)
        assert main(["info", "--json", *port]) == 0
        info = json.loads(capsys.readouterr().out)
        assert main(["info", *port]) == 0
        text = capsys.readouterr().out
        return st["reminders_wait_for_clock"], info["reminders_wait_for_clock"], text

    def power_cut() -> None:  # the plan stays on the flash, the clock is gone
        boots = dev.boots
        dev.kill()
        wait_for(lambda: dev.boots > boots and hello_or_none(dev.port), timeout=60)

    power_cut()
    assert waiting()[:2] == (False, False)  # no plan: nothing waits for the clock
    assert main(["plan", "set", str(plan), *port]) == 0
    assert "reminders wait for it (ontspan clock --set)" in capsys.readouterr().out
    st, info, text = waiting()
    assert st and info and "plan reminders wait for the clock" in text
    assert main(["clock", "--set", *port]) == 0
    st, info, text = waiting()
    assert not st and not info and "wait for the clock" not in text
    power_cut()
    st, info, text = waiting()
    assert st and info and "plan reminders wait for the clock" in text
    assert main(["status", *port]) == 0
    assert "plan reminders wait for the clock (ontspan clock --set)" in capsys.readouterr().out
