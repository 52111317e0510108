"""The rp2 HAL against recording stand-ins for machine and neopixel, under MicroPython."""

import pytest
from conftest import MP_HELPERS

FAKES = MP_HELPERS + "/fake_rp2"

SETUP = """

import config, hal_rp2, machine
cfg = config.defaults()
b = hal_rp2.Board(cfg)
"""


@pytest.fixture
def rp2(mpy):
    def check(code):
        return mpy.check(SETUP + code, path=[FAKES])

    return check


def test_motor_pwm_frequency_is_above_hearing(rp2):
    out = rp2("print(b._pwm.f, b._pwm.pin.id)")
    freq, pin = out.split()
    assert int(freq) >= 20000
    assert pin == "15"


def test_motor_kick_then_level_then_off(rp2):
    out = rp2(
        """
import motor
from fakes import Clock as FakeClock
b.motor._clock = c = FakeClock()
b.motor.set(60)           # low level from standstill: kick first
k = b._pwm.duties[-1]
c.advance(40); b.motor.service()
lv = b._pwm.duties[-1]
b.motor.set(0)
print(k, lv, b._pwm.duties[-1], motor.KICK_DUTY)
"""
    )
    kick, level, off, kick_duty = map(int, out.split())
    assert kick == kick_duty > level > 0
    assert level == 60 * 257  # level -> duty_u16, linear; the cap (200) does not scale it
    assert off == 0


def test_motor_cap_is_applied_once_and_at_once(rp2):
    out = rp2(
        """
from fakes import Clock as FakeClock
b.motor._clock = c = FakeClock()
b.motor.set(255)
full = b._pwm.duties[-1]
cfg2 = dict(cfg); cfg2["motor_cap"] = 60; cfg2["motor_freq"] = 30000
b.apply(cfg2)             # while the motor runs: the new cap holds now
now = b._pwm.duties[-1]
b.motor.set(0); b.motor.set(255)   # 60 from standstill: a kick, then 60
c.advance(40); b.motor.service()
print(full, now, b._pwm.duties[-1], b._pwm.f)
"""
    )
    full, now, again, freq = map(int, out.split())
    assert full == 200 * 257  # the default cap of 200: 78 %, not 61 %
    assert now == again == 60 * 257
    assert freq == 30000


def test_motor_on_time_is_capped(rp2):
    out = rp2(
        """
from fakes import Clock as FakeClock
b.motor._clock = c = FakeClock()
b.motor.set(255)
for _ in range(100):
    c.advance(100); b.motor.service()
print(b._pwm.duties[-1])
"""
    )
    assert out.strip() == "0"


def test_new_motor_pin_takes_effect_without_a_reboot(rp2):
    out = rp2(
        """
old = b._pwm
cfg2 = dict(cfg); cfg2["motor_pin"] = 3
print(b.apply(cfg2), old.duties[-1], b._pwm.pin.id)
"""
    )
    assert out.split() == ["True", "-1", "3"]  # the old PWM let go, the new pin driven


def test_ring_writes_grb_with_gamma_and_cap(rp2):
    out = rp2(
        """
import pixels
b.ring.set_cap(255)
b.ring.buf[0] = 255; b.ring.buf[1] = 0; b.ring.buf[2] = 0    # LED 0 red
b.ring.buf[3] = 0; b.ring.buf[4] = 255; b.ring.buf[5] = 0    # LED 1 green
b.ring.show()
w = b.ring._np.writes[-1]
print(w[0], w[1], w[2], w[3], w[4], w[5], pixels.GAMMA[160], pixels.GAMMA[128])
"""
    )
    g0, r0, b0, g1, r1, b1, g160, g128 = map(int, out.split())
    # the day cap from config (160) is the brightest byte full red gets (cap after
    # gamma); green/red swapped on the wire
    assert (g0, r0, b0) == (0, 160, 0)
    assert (g1, r1, b1) == (160, 0, 0)
    assert g160 < 160
    assert g128 < 128  # gamma darkens mid values


def test_button_pull_up_and_debounced_tap(rp2):
    out = rp2(
        """
import gestures
from fakes import Clock as FakeClock
c = FakeClock()
b.button._g = gestures.Gestures(c)
pin = b.button._pin
print(pin.id, pin.pull == machine.Pin.PULL_UP)
evs = []
for level, ms in ((0, 100), (1, 600)):   # pressed = pulled to GND
    pin._v = level
    for _ in range(ms // 10):
        c.advance(10)
        e = b.button.poll()
        if e: evs.append(e)
print(evs == [gestures.TAP])
"""
    )
    assert out.split() == ["14", "True", "True"]
