"""Room-adaptive light on the simulated device, read from its trace: the host
gives the light sensor a room level through the control FIFO, and the ring's
brightness (the chosen protocol shown by a hold: its LED is at the device cap)
follows the room: a change must last before it counts (a passing light does
not), hysteresis between dark and light, by day dimmed with a darker room
(smoothed, never below the night cap), never above the caps. Night is
decided by the clock once it is set, else by the sensor, else assumed.
Device time moves on only by jumps (the sim runs at 1x), so the machine's load
changes nothing the device sees."""

import datetime as dt

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.device import client
from ontspan.paths import PROTOCOLS_DIR
from ontspan.shared import C

DAY_CAP, NIGHT_CAP = C.DAY_CAP, C.NIGHT_CAP  # the config's defaults


@pytest.fixture
def sim(make_sim, monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)
    dev = make_sim("pico", speed=1)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    assert main(["flash", "--port", dev.port, str(PROTOCOLS_DIR / "pmr-kort.toml")]) == 0
    boots = dev.boots
    dev.kill()  # a power cut: the table stays, the clock the flash set is gone
    wait_for(lambda: dev.boots > boots and hello_or_none(dev.port), timeout=60)
    return dev


def _night(dev) -> bool:
    with client.Link(dev.port) as lk:
        lk.hello()
        return bool(lk.status().flags & C.FLAG_NIGHT)


def _frames(lines: list[str]) -> list[bytes]:
    return [bytes.fromhex(t.split()[2]) for t in lines if t.startswith("F ")]


def _shown(dev) -> int:
    """The brightest LED byte while the choice is shown (a hold): the device cap now."""
    before = len(dev.trace_lines())
    dev.inject("hold")
    dev.jump(4)  # the hold and the 1.5 s display pass on the device's own time
    return max(max(f) for f in _frames(dev.trace_lines()[before:]))


def _room(dev, level: int | None, seconds: int) -> None:
    """The room at `level` for `seconds` of device time."""
    dev.set_light(level)
    dev.jump(seconds)


def test_brightness_follows_the_room_and_night_the_clock(sim):
    dev = sim
    # no clock, no sensor: night is assumed
    assert _night(dev) and _shown(dev) == NIGHT_CAP
    _room(dev, 500, 10)  # a sensor in a dark room: night
    assert _night(dev) and _shown(dev) == NIGHT_CAP
    dev.set_light(50000)  # a passing light (headlights, a phone) is not the room:
    assert _shown(dev) == NIGHT_CAP  # still night 2 s on, when the hold shows the choice
    _room(dev, 500, 1)
    assert _night(dev)
    _room(dev, 50000, 10)  # the light is switched on and stays on: day
    assert not _night(dev) and _shown(dev) == DAY_CAP
    _room(dev, 2500, 30)  # dimmer, but above the dark threshold: still day (hysteresis),
    dimmed = _shown(dev)  # and the ring dims with the room, smoothed
    assert not _night(dev) and NIGHT_CAP < dimmed < DAY_CAP
    dev.set_light(1000)  # a shadow passing over the sensor: still day, hardly dimmer
    shaded = _shown(dev)  # (2 s on, when the hold shows the choice)
    assert dimmed * 2 // 3 <= shaded <= dimmed and shaded > NIGHT_CAP
    _room(dev, 50000, 1)
    assert not _night(dev)
    _room(dev, 1000, 10)  # lights out: night
    assert _night(dev) and _shown(dev) == NIGHT_CAP
    _room(dev, 2500, 30)  # a little light, below the light threshold: still night
    assert _night(dev) and _shown(dev) == NIGHT_CAP
    _room(dev, None, 3)  # the sensor gone: night is assumed
    assert _night(dev)
    # the clock decides once it is set, whatever the room
    noon = dt.datetime.combine(dt.date.today(), dt.time(14, 0)).astimezone()
    tz = int(noon.utcoffset().total_seconds() // 60)
    _room(dev, 500, 10)
    with client.Link(dev.port) as lk:
        lk.hello()
        lk.set_clock(int(noon.timestamp()), tz)
    dev.jump(2)
    assert not _night(dev) and _shown(dev) == NIGHT_CAP  # a dark room at 14:00: day, dim
    _room(dev, 50000, 30)  # the curtains open: the full day cap
    assert not _night(dev) and _shown(dev) == DAY_CAP
    _room(dev, 50000, 8 * 3600)  # 22:00 in a lit room: night by the clock
    assert _night(dev) and _shown(dev) == NIGHT_CAP
    # never above the caps: the ring's brightest byte over the whole trace
    assert max(max(f) for f in _frames(dev.trace_lines())) <= DAY_CAP
