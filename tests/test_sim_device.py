"""The simulated device end to end: real firmware, real MicroPython, a real pty, pyserial."""

import subprocess
import sys
import time

import serial
from conftest import hello_or_none, wait_for
from ontspan.device.client import Link


def _read_until(ser, marker: bytes, timeout: float = 30.0) -> bytes:
    data = b""
    end = time.monotonic() + timeout
    while marker not in data and time.monotonic() < end:
        data += ser.read(ser.in_waiting or 1)
    return data


def test_boots_draws_and_takes_button(make_sim):
    dev = make_sim(speed=5)
    wait_for(lambda: any(line.startswith("F ") for line in dev.trace_lines()))
    dev.inject("tap")
    gesture = wait_for(lambda: [ln for ln in dev.trace_lines() if ln.startswith("G ")])
    assert gesture[0].split()[2] == "1"  # TAP


def test_port_opens_with_pyserial_and_ctrl_c_gives_the_repl(make_sim):
    dev = make_sim()
    wait_for(lambda: dev.trace_lines())
    with serial.Serial(dev.port, 115200, timeout=0.2) as ser:
        ser.reset_input_buffer()
        ser.write(b"\x03")
        banner = _read_until(ser, b">>> ")
        assert b"KeyboardInterrupt" in banner and b">>> " in banner
        ser.write(b"print(6*7)\r")
        assert b"42" in _read_until(ser, b"42")


def test_power_cut_restarts_and_flash_survives(make_sim):
    dev = make_sim()
    # HELLO is answered once the boot animation has played, however long that takes here
    wait_for(lambda: hello_or_none(dev.port))
    with Link(dev.port) as lk:
        lk.hello()
        boot_before = lk.info()["boot"]  # the logbook's boot counter, kept on the flash
    first = dev.proc
    dev.kill()
    wait_for(lambda: dev.proc is not first and dev.proc.poll() is None)
    wait_for(lambda: sum(ln.endswith(" boot") for ln in dev.trace_lines()) >= 2)
    assert dev.boots == 2
    wait_for(lambda: hello_or_none(dev.port))
    with Link(dev.port) as lk:
        lk.hello()
        assert lk.info()["boot"] == boot_before + 1


def test_bad_config_falls_back_and_blinks(make_sim, mpy, tmp_path):
    state = tmp_path / "cfg"
    state.mkdir()
    mpy.check(
        "import hal_sim\nhal_sim.Board.mount_flash()\n"
        "with open('/flash/config.json','w') as f: f.write('{\"ring_leds\": 99')",
        env={"ONTSPAN_SIM_STATE": str(state)},
    )
    dev = make_sim("cfg", speed=10)
    blinks = wait_for(lambda: [ln for ln in dev.trace_lines() if ln.startswith("S ") and ln.endswith(" 1")])
    assert blinks
    frame = wait_for(lambda: [ln for ln in dev.trace_lines() if ln.startswith("F ")])
    assert len(frame[0].split()[2]) == 12 * 6  # default ring of 12 LEDs


def test_cli_prints_port_first_and_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ontspan.cli.main", "sim", "--headless", "--state", str(tmp_path / "s")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = proc.stdout.readline().strip()
        assert port.startswith("/dev/")
        with serial.Serial(port, timeout=0.5):
            pass
        second = subprocess.run(
            [sys.executable, "-m", "ontspan.cli.main", "sim", "--headless", "--state", str(tmp_path / "s")],
            capture_output=True, text=True, timeout=60,
        )
        assert second.returncode == 1 and "in use" in second.stderr
    finally:
        proc.terminate()
    assert proc.wait(timeout=30) == 0
