"""firmware/pixels.py, light.py tables and daynight.py: the cap is the brightest LED
byte (applied after gamma), a lit LED never rounds to black, day/night follows the
clock. Run under MicroPython; daynight also under CPython (it has no hardware)."""

import ast
import importlib.util
import inspect
import math
from pathlib import Path

import pytest

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"


def mp_eval(mpy, code):
    return ast.literal_eval(mpy.check(code).strip().splitlines()[-1])


def test_tables_follow_their_formulas(mpy):
    gamma, ease = mp_eval(mpy, "import pixels, light\nprint((list(pixels.GAMMA), list(light.EASE)))")
    assert gamma == [int(((i / 255) ** 2.2) * 255 + 0.5) for i in range(256)]
    assert ease == [int(127.5 - 127.5 * math.cos(math.pi * i / 255) + 0.5) for i in range(256)]
    # literals: nothing computed in floats at import
    for name in ("pixels.py", "light.py"):
        assert "import math" not in (FIRMWARE / name).read_text()


RENDER = """
import pixels
out = []
for cap in CAPS:
    row = []
    for v in range(256):
        src = bytes((v, v * 40 // 255, 0))
        dst = bytearray(3)
        pixels.render(src, dst, 1, cap, b'\\x00\\x01\\x02')
        row.append(tuple(dst))
    out.append(row)
print(out)
"""


def test_cap_after_gamma_with_a_floor(mpy):
    caps = (24, 40, 160, 255, 2)
    rows = mp_eval(mpy, RENDER.replace("CAPS", repr(caps)))
    for cap, row in zip(caps, rows, strict=True):
        assert row[0] == (0, 0, 0)
        assert row[255][0] == cap  # the cap is the brightest byte, not gamma(cap)
        floor = min(3, cap)
        for v in range(1, 256):
            r, g, b = row[v]
            assert max(r, g, b) >= floor, (cap, v)  # lit never rounds to black
            assert b == 0 and g <= r
        reds = [row[v][0] for v in range(256)]
        assert reds == sorted(reds)  # monotonic: a fade never flickers up
    night = rows[0]
    assert len({night[v][0] for v in range(256)}) >= 20  # a night cap of 24 keeps ~all its levels


def test_floor_keeps_the_colour(mpy):
    code = """
import pixels
src = bytes((50, 12, 0,  0, 0, 0,  0, 0, 9))
dst = bytearray(9)
pixels.render(src, dst, 3, 24, b'\\x01\\x00\\x02')
print(list(dst))
"""
    assert mp_eval(mpy, code) == [0, 3, 0, 0, 0, 0, 0, 0, 3]  # GRB; red stays red, blue stays blue


def _daynight_cpython():
    spec = importlib.util.spec_from_file_location("daynight_cpython", FIRMWARE / "daynight.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# a clock set at uptime 100 s to 20:59:00 local (UTC+1), then the hours pass
EPOCH = 1_796_000_000 - 1_796_000_000 % 86400 + 19 * 3600 + 59 * 60  # 19:59 UTC
STEPS = [(100, None), (100 + 59, None), (100 + 60, None), (100 + 10 * 3600, None),
         (100 + 10 * 3600 + 60, None)]


def _decisions(dn):
    d = dn.DayNight()
    out = [d.decide(0, 21, 7, -1)]  # no clock, no sensor: night
    out += [d.decide(up, 21, 7, lux) for up, lux in ROOM]  # sensor: hysteresis, held 5 s
    d.set_clock(EPOCH, 60, 100)
    out += [d.decide(up, 21, 7, 500) for up, _ in STEPS]
    out += [dn.in_night_hours(h, 8, 17) for h in (7, 8, 16, 17)]
    out += [d.hour(100), d.hour(100 + 61), dn.day_offset(EPOCH, 60, 100)]
    return out


# (uptime s, sensor): dark; 2500 is still dark (hysteresis); a light seen for 4 s is not
# the room, one that holds 5 s is; 2500 still light; a shadow is not; dark over one long step
ROOM = [(1, 500), (2, 2500), (3, 3500), (6, 3500), (7, 500), (8, 3500), (12, 3500),
        (13, 2500), (14, 1000), (15, 50000), (16, 1000), (46, 1000), (47, 2500)]
WANT = [True, True, True, True, True, True, True, False, False, False, False, False, True, True,
        False, False, True, True, False,  # 20:59 day, 20:59:59 day, 21:00 night, 06:59 night, 07:00 day
        False, True, True, False,
        20, 21, (EPOCH + 3600 - 100) % 86400]


def test_daynight_follows_the_clock_micropython(mpy):
    code = f"import daynight as dn\nEPOCH = {EPOCH}\nSTEPS = {STEPS!r}\nROOM = {ROOM!r}\n"
    code += "\n".join(_decisions_src()) + "\nprint(_decisions(dn))"
    assert mp_eval(mpy, code) == WANT


def test_daynight_follows_the_clock_cpython():
    assert _decisions(_daynight_cpython()) == WANT


def _decisions_src():
    import inspect

    return inspect.getsource(_decisions).splitlines()


@pytest.mark.parametrize("hour,night", [(20, False), (21, True), (0, True), (6, True), (7, False)])
def test_night_hours_wrap_midnight(hour, night):
    assert _daynight_cpython().in_night_hours(hour, 21, 7) is night


def _caps(dn):
    d = dn.DayNight()
    d.decide(0, 21, 7, -1)
    out = [d.cap(160, 24)]  # no clock, no sensor: night
    d.decide(1, 21, 7, 50000)  # a sensor in a lit room: day, the full day cap
    out.append(d.cap(160, 24))
    for up in range(2, 62):  # a dimmer room (still day by the hysteresis), read 5x a second
        for _ in range(5):
            d.decide(up, 21, 7, 2500)
        out.append(d.cap(160, 24))
    d.decide(200, 21, 7, 500)  # much later, dark: night
    out += [d.cap(160, 24), int(d.night)]
    d.decide(201, 21, 7, -1)  # the sensor gone: night is assumed
    out.append(d.cap(160, 24))
    d.set_clock(EPOCH, 60, 300)  # 20:59 local: day by the clock, in a dark room
    d.decide(300, 21, 7, 500)
    out += [d.cap(160, 24), int(d.night)]
    return out


def test_day_cap_follows_the_room():
    got = _caps(_daynight_cpython())
    assert got[:2] == [24, 160]
    dimming = got[1:62]
    assert all(24 <= c <= 160 for c in dimming)
    assert all(a >= b for a, b in zip(dimming, dimming[1:], strict=False))  # never brighter
    steps = [a - b for a, b in zip(dimming, dimming[1:], strict=False) if a != b]
    assert steps and all(s >= 8 for s in steps)  # no flicker: moves of at least CAP_STEP
    assert dimming[10] > dimming[-1] > 24  # smoothed: it takes its time, stops above night
    assert got[62:] == [24, 1, 24, 24, 0]  # night; no sensor: night; a dark room by day: dim


def test_day_cap_follows_the_room_the_same_under_micropython(mpy):
    src = "\n".join(inspect.getsource(_caps).splitlines())
    code = f"import daynight as dn\nEPOCH = {EPOCH}\n{src}\nprint(_caps(dn))"
    assert mp_eval(mpy, code) == _caps(_daynight_cpython())
