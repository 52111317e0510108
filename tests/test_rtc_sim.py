"""The clock module on the simulated device, through the CLI: with one, the clock and
the plan's reminders survive a stop and start (a power cut); without one, `plan set`
says beforehand that reminders need the device to stay powered, and after the cut
they wait for the clock; a module whose battery ran out is not believed.
The sim runs at 1x and device time moves on by jumps (see test_plan_sim.py)."""

import datetime as dt
import json

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.device import client
from ontspan.load.plan import NO_MODULE_TEXT
from ontspan.paths import PROTOCOLS_DIR
from ontspan.shared import C
from test_plan_sim import _glow


@pytest.fixture(autouse=True)
def _no_port_env(monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)


def _ask(dev, fn):
    with client.Link(dev.port) as lk:
        lk.hello()
        return fn(lk)


def _status(port, capsys) -> tuple[dict, str]:
    capsys.readouterr()
    assert main(["status", "--json", *port]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert main(["info", *port]) == 0
    return doc, capsys.readouterr().out


def _set_up(make_sim, tmp_path, capsys, rtc: str) -> tuple[object, dt.datetime, int, str]:
    """A device with pmr-kort (with a module: config rtc=1 or 2), its clock set to yesterday 21:00
    and a plan for 21:05; returns (sim, that evening, tz minutes, plan set's output)."""
    dev = make_sim("pico", speed=1, rtc=rtc)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    port = ["--port", dev.port]
    assert main(["flash", *port, str(PROTOCOLS_DIR / "pmr-kort.toml")]) == 0
    if rtc:
        assert main(["config", "set", f"rtc={1 if rtc == 'ds3231' else 2}", *port]) == 0
    day = dt.date.today() - dt.timedelta(days=1)
    at = dt.datetime.combine(day, dt.time(21, 0)).astimezone()
    tz = int(at.utcoffset().total_seconds() // 60)
    _ask(dev, lambda lk: lk.set_clock(int(at.timestamp()), tz))
    plan = tmp_path / "plan.toml"
    plan.write_text(f'[plan]\nstart = {day}\nend = {day}\n[[moment]]\ntime = "21:05"\n'
                    'protocol = "pmr-kort"\nwindow = 5\n')
    capsys.readouterr()
    assert main(["plan", "set", str(plan), *port]) == 0
    return dev, at, tz, capsys.readouterr().out


def _restart(make_sim, dev, **kw):
    """Stop the sim and start it again from the same state directory: a power cut."""
    dev.stop()
    again = make_sim(dev.state.name, speed=1, **kw)
    wait_for(lambda: hello_or_none(again.port), timeout=60)
    return again


def _go(dev, at: dt.datetime, tz: int, minute: int) -> None:
    c = _ask(dev, lambda lk: lk.get_clock())
    dev.jump((at.date() - dt.date(1970, 1, 1)).days * 86400 + minute * 60 - tz * 60 - c.epoch)


def test_with_a_module_the_clock_and_the_reminder_survive_a_power_cut(make_sim, tmp_path, capsys):
    dev, at, tz, said = _set_up(make_sim, tmp_path, capsys, "ds3231")
    assert NO_MODULE_TEXT not in said
    st, text = _status(["--port", dev.port], capsys)
    assert st["clock_source"] == "set" and "kept by the clock module" in text
    dev = _restart(make_sim, dev, rtc="ds3231")
    port = ["--port", dev.port]
    st, text = _status(port, capsys)
    assert st["clock_source"] == "rtc" and not st["reminders_wait_for_clock"]
    assert "clock     rtc: read from the battery-backed clock module" in text
    c = _ask(dev, lambda lk: lk.get_clock())
    assert c.is_set and c.tz_minutes == tz
    assert 0 <= c.epoch - int(at.timestamp()) < 120  # the module kept counting
    assert _ask(dev, lambda lk: lk.status().state) == C.STATE_IDLE
    _go(dev, at, tz, 21 * 60 + 6)
    assert _ask(dev, lambda lk: lk.status().state) == C.STATE_REMINDER
    wait_for(lambda: _glow(dev.trace_lines()), timeout=10)
    # setting the clock again makes it "set this boot"
    assert main(["clock", "--set", *port]) == 0
    assert _status(port, capsys)[0]["clock_source"] == "set"


def test_without_a_module_reminders_wait_for_the_clock_after_a_power_cut(make_sim, tmp_path, capsys):
    dev, at, tz, said = _set_up(make_sim, tmp_path, capsys, "")
    assert NO_MODULE_TEXT in said  # said beforehand
    dev = _restart(make_sim, dev)
    port = ["--port", dev.port]
    st, text = _status(port, capsys)
    assert st["clock_source"] == "none" and st["reminders_wait_for_clock"]
    assert "plan reminders wait for the clock" in text
    _go_blind = 400  # without a clock the device cannot know the minute: no glow however long
    dev.jump(_go_blind)
    assert _ask(dev, lambda lk: lk.status().state) == C.STATE_IDLE
    assert not _glow(dev.trace_lines())


def test_a_module_that_lost_its_battery_is_not_believed(make_sim, tmp_path, capsys):
    dev, at, tz, _ = _set_up(make_sim, tmp_path, capsys, "pcf8563")
    dev = _restart(make_sim, dev, rtc="pcf8563", rtc_battery_lost=True)
    port = ["--port", dev.port]
    st, text = _status(port, capsys)
    assert st["clock_source"] == "none" and st["reminders_wait_for_clock"]
    assert st["flags"]["clock module"]
    assert "the clock module has lost the time" in text


def test_install_waits_its_turn_and_force_stops_the_session_first(make_sim, tmp_path, capsys):
    from ontspan.logformat import Outcome, decode

    dev = make_sim("fw", speed=1, boot_from_flash=True, rtc="ds3231")
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    port = ["--port", dev.port]
    assert main(["flash", *port, str(PROTOCOLS_DIR / "pmr-kort.toml")]) == 0
    assert main(["config", "set", "rtc=1", *port]) == 0
    assert main(["clock", "--set", *port]) == 0
    assert main(["start", "pmr-kort", *port]) == 0
    capsys.readouterr()
    assert main(["install", *port]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ontspan: install refused: a session is playing") and err.count("\n") == 1
    assert _ask(dev, lambda lk: lk.status().state) == C.STATE_PLAYING  # nothing was cut
    assert main(["install", "--force", *port]) == 0, capsys.readouterr().err
    assert "stopped first" in capsys.readouterr().err
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    recs = [decode(r) for r in _ask(dev, lambda lk: lk.get_logs(1, 16))]
    assert recs[-1].outcome == Outcome.STOPPED  # not cut by power
    assert not [r for r in recs if r.outcome == Outcome.POWER_CUT]
    st, _ = _status(port, capsys)
    assert st["clock_source"] == "rtc"  # the module kept the clock through the reset


def test_a_module_named_after_the_clock_was_set_takes_it(make_sim, capsys):
    dev = make_sim("late", speed=1, rtc="ds3231")
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    port = ["--port", dev.port]
    assert main(["clock", "--set", *port]) == 0
    st, text = _status(port, capsys)
    assert st["clock_source"] == "set" and "no clock module" in text
    assert main(["config", "set", "rtc=1", *port]) == 0
    st, text = _status(port, capsys)
    assert st["clock_source"] == "set" and "kept by the clock module" in text
    dev = _restart(make_sim, dev, rtc="ds3231")
    assert _status(["--port", dev.port], capsys)[0]["clock_source"] == "rtc"
