"""The sim HAL under MicroPython: a clock that wraps like the Pico's, flash on littlefs."""


def test_clock_wraps_at_2_to_30_and_diff_survives_it(mpy):
    out = mpy.check(
        """
import hal_sim, time
c = hal_sim.Clock(1000, (1 << 30) - 50)   # 50 device ms before the wrap, 1000x speed
a = c.ticks_ms()
time.sleep_ms(2)                          # ~2 s of device time
b = c.ticks_ms()
print(a > b, c.ticks_diff(b, a) > 1000, b - a < 0, c.ticks_diff(c.ticks_add(a, 100), a))
"""
    )
    wrapped, diff_ok, raw_negative, add_ok = out.split()
    assert wrapped == "True"  # the raw value went back through zero
    assert diff_ok == "True"  # ticks_diff still sees time moving forward
    assert raw_negative == "True"  # code subtracting raw ticks would see time run backwards
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
