"""The one motor model (firmware/motor.py) under MicroPython: cap once, kick, trip."""


def run(mpy, body):
    return mpy.check(
        "import motor\nfrom fakes import Clock\nc = Clock()\nduties = []\n"
        "m = motor.Motor(duties.append, c, 200)\n" + body
    ).split()


def test_level_maps_linearly_to_duty_and_the_cap_clips_once(mpy):
    out = run(mpy, "m.set(200); c.advance(50); m.service(); a = m.duty\n"
                   "m.set(255); print(a, m.duty, m.level)")
    assert out == [str(200 * 257), str(200 * 257), "200"]  # 255 asked, 200 allowed: 78 %


def test_low_levels_kick_from_standstill_only(mpy):
    out = run(mpy, "m.set(40); k = m.duty\nc.advance(10); m.service(); k2 = m.duty\n"
                   "c.advance(25); m.service(); s = m.duty\nm.set(60); print(k, k2, s, m.duty, m.kicks)")
    assert out == [str(motor_kick()), str(motor_kick()), str(40 * 257), str(60 * 257), "1"]


def motor_kick():
    return 45000


def test_on_time_trip_holds_until_the_cue_lets_go(mpy):
    out = run(mpy, "m.set(190)\nfor _ in range(90):\n    c.advance(100); m.service()\n"
                   "a = m.duty\nm.set(190); b = m.duty\nm.set(0); m.set(190); print(a, b, m.duty, m.trips)")
    assert out == ["0", "0", str(190 * 257), "1"]


def test_a_lower_cap_applies_to_the_level_playing_now(mpy):
    out = run(mpy, "m.set(180)\nm.set_cap(60); print(m.duty, m.level)")
    assert out == [str(60 * 257), "60"]


def test_every_level_whose_duty_is_below_the_start_duty_kicks(mpy):
    # level 150 is 38550 duty_u16, under the 45000 an ERM needs to start
    out = run(mpy, "m.set(150); a = m.duty; n = m.kicks\nm.set(0)\n"
                   "m.set(175); b = m.kicks\nm.set(0)\nm.set(176); print(a, n, b, m.kicks, m.duty, motor.KICK_BELOW)")
    assert out == [str(motor_kick()), "1", "2", "2", str(176 * 257), "176"]
