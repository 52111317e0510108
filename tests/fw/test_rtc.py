"""The clock module's registers (firmware/rtc.py) under MicroPython: DS3231 and PCF8563
both ways, the plausibility checks, and the sim's model of the module across a power cut."""

import datetime as dt

import pytest

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _device_s(*ymdhms: int) -> int:
    return int((dt.datetime(*ymdhms, tzinfo=dt.UTC) - EPOCH).total_seconds())


CASES = [
    _device_s(2024, 1, 1, 0, 0, 0),
    _device_s(2024, 2, 29, 23, 59, 59),
    _device_s(2026, 12, 6, 19, 5, 7),
    _device_s(2028, 3, 1, 12, 0, 0),
    _device_s(2057, 12, 31, 23, 59, 59),
]


@pytest.mark.parametrize("chip", [1, 2])
def test_time_and_offset_round_trip_through_the_registers(mpy, chip):
    out = mpy.check(
        f"""
import rtc
for s in {CASES}:
    for tz in (-720, 0, 60, 330, 840):
        regs = bytearray(rtc.read_len({chip}))
        rtc.encode({chip}, s, tz, regs, rtc.time_reg({chip}))
        got = rtc.decode({chip}, regs)
        print(s, got, tz, rtc.tz_of({chip}, regs), regs.hex())
"""
    )
    for line in out.splitlines():
        s, got, tz, tz_got, _ = line.split()
        assert (s, tz) == (got, tz_got)
    # the largest time still fits a Pico small int (31-bit)
    assert max(CASES) < 1 << 30


def test_ds3231_registers_are_bcd_as_the_datasheet_gives(mpy):
    s = _device_s(2026, 12, 6, 19, 5, 7)
    out = mpy.check(f"import rtc\nb = bytearray(16)\nrtc.encode(1, {s}, 60, b, 0)\nprint(b.hex())")
    regs = bytes.fromhex(out.strip())
    # seconds, minutes, hours, weekday (Sunday: 7 with Monday 1), date, month, year
    assert regs[:7] == bytes([0x07, 0x05, 0x19, 7, 0x06, 0x12, 0x26])


@pytest.mark.parametrize(
    "chip,patch,why",
    [
        (1, "b[15] = 0x80", "oscillator stopped (OSF)"),
        (2, "b[2] |= 0x80", "voltage low (VL)"),
        (1, "b[6] = 0x23", "year 2023, before the epoch"),
        (1, "b[6] = 0x58", "year 2058: past 2^30 s"),
        (1, "b[4] = 0x31; b[5] = 0x02", "31 February"),
        (2, "b[4] = 0x24", "hour 24"),
        (1, "b[0] = 0x5A", "not BCD"),
        (1, "b[2] |= 0x40", "12-hour mode"),
    ],
)
def test_an_implausible_time_is_not_believed(mpy, chip, patch, why):
    s = _device_s(2026, 12, 6, 19, 5, 7)
    out = mpy.check(
        f"""
import rtc
b = bytearray(rtc.read_len({chip}))
rtc.encode({chip}, {s}, 0, b, rtc.time_reg({chip}))
ok = rtc.decode({chip}, b)
{patch}
print(ok, rtc.decode({chip}, b), rtc.LOST)
"""
    )
    ok, bad, lost = out.split()
    assert ok == str(s), why
    assert bad == lost, why


def test_no_module_configured_or_none_answering_is_absent(mpy):
    out = mpy.check(
        """
import rtc
class Bus:
    def rtc(self, a, r, buf, write=False):
        return False
print(rtc.read(Bus(), 0)[0], rtc.read(Bus(), 1)[0], rtc.write(Bus(), 1, 5, 0), rtc.ABSENT)
"""
    )
    none, silent, wrote, absent = out.split()
    assert none == silent == absent
    assert wrote == "False"


@pytest.mark.parametrize("chip,name", [(1, "ds3231"), (2, "pcf8563")])
def test_sim_module_keeps_time_across_a_restart_and_loses_it_without_battery(mpy, tmp_path, chip, name):
    s = _device_s(2026, 12, 6, 19, 5, 7)
    code = f"""
import hal_sim, config, rtc
b = hal_sim.Board(config.defaults())
print(rtc.read(b, {chip})[0], rtc.read(b, 3 - {chip})[0])
print(rtc.write(b, {chip}, {s}, 60))
b2 = hal_sim.Board(config.defaults())
print(*rtc.read(b2, {chip}))
"""
    env = {"ONTSPAN_SIM_STATE": str(tmp_path), "ONTSPAN_SIM_RTC": name, "ONTSPAN_SIM_SPEED": "1"}
    out = mpy.check(code, env=env).splitlines()
    fresh, other = out[0].split()
    assert fresh == "-1"  # a new module: oscillator stopped until it is set
    assert other == "-2"  # the other chip's address: nobody answers
    assert out[1] == "True"
    got, tz = map(int, out[2].split())
    assert s <= got <= s + 5 and tz == 60  # a second board (a restart) reads it back, still running
    (tmp_path / "rtc").unlink()  # the battery taken out
    out = mpy.check(f"import hal_sim, config, rtc\nprint(rtc.read(hal_sim.Board(config.defaults()), {chip})[0])", env=env)
    assert out.strip() == "-1"
