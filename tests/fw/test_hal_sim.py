"""The sim HAL under MicroPython: a clock that wraps like the Pico's, flash on littlefs."""


def test_clock_wraps_at_2_to_30_and_diff_survives_it(mpy):
    # At 1000x the 50 device ms before the wrap are 50 real us: a busy host can miss
    # them, so the clock is made again until `a` is read before the wrap; then the
    # raw value is watched going back through zero (only waiting is bounded).
    out = mpy.check(
        """
import hal_sim, time
for _ in range(1000):
    c = hal_sim.Clock(1000, (1 << 30) - 50)   # 50 device ms before the wrap, 1000x speed
    a = c.ticks_ms()
    if a >= (1 << 30) - 50:
        break
t = time.ticks_ms()
b = c.ticks_ms()
while b >= a and time.ticks_diff(time.ticks_ms(), t) < 30000:
    b = c.ticks_ms()
t1 = time.ticks_us()
while time.ticks_diff(time.ticks_us(), t1) < 2000:   # >= 2 s of device time (a sleep may end early)
    time.sleep_ms(1)
d = c.ticks_ms()
print(a >= (1 << 30) - 50, b < a, c.ticks_diff(b, a) > 0, b - a < 0, c.ticks_diff(d, a) >= 2000,
      c.ticks_diff(c.ticks_add(a, 100), a))
"""
    )
    before, wrapped, forward, raw_negative, slept, add_ok = out.split()
    assert before == "True"  # `a` was read before the wrap
    assert wrapped == "True"  # the raw value went back through zero
    assert forward == "True"  # ticks_diff still sees time moving forward
    assert raw_negative == "True"  # code subtracting raw ticks would see time run backwards
    assert slept == "True"  # and it keeps counting device time past the wrap
    assert add_ok == "100"


def test_flash_image_is_littlefs_and_persists(mpy, tmp_path):
    code = """
import hal_sim, os
hal_sim.Board.mount_flash()
print(type(os.statvfs('/flash')) is tuple)
try:
    print(open('/flash/note').read())
except OSError:
    with open('/flash/note', 'w') as f:
        f.write('kept')
    print('written')
"""
    env = {"ONTSPAN_SIM_STATE": str(tmp_path)}
    assert mpy.check(code, env=env).split() == ["True", "written"]
    assert mpy.check(code, env=env).split() == ["True", "kept"]
    # the image holds a littlefs superblock, not a host file tree
    image = (tmp_path / "flash.img").read_bytes()
    assert b"littlefs" in image[:4096 * 2]
    assert not (tmp_path / "note").exists()


def test_an_idle_fast_sim_sleeps_instead_of_spinning(mpy, tmp_path):
    out = mpy.check(
        """
import config, hal_sim
class Poll:
    def __init__(self): self.waits = []
    def ipoll(self, ms):
        self.waits.append(ms)
        return ()
b = hal_sim.Board(config.defaults())
b._poll = p = Poll()
b.idle(20)      # the app's idle sleep: 20 device ms = 1/3 real ms at speed 60
b.idle(5)       # a short one while cues run: sub-ms sleep, no rounding to a spin
b.idle(600)
print(p.waits)
""",
        env={"ONTSPAN_SIM_STATE": str(tmp_path), "ONTSPAN_SIM_SPEED": "60"},
    )
    assert out.strip() == "[1, 0, 10]"
