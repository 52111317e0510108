"""The device commands end to end: the real CLI against the simulated device
(real firmware under MicroPython on a pty), including power cuts, line noise,
and firmware installs that are cut off half-way."""

import json
import os
import pty
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.device import build, client, codec, install
from ontspan.errors import OntspanError
from ontspan.paths import FIRMWARE_DIR, PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table, table_crc
from ontspan.protocols.files import check_paths

SPEED = 20


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Names maps go to a scratch folder, never the user's."""
    d = tmp_path / "data"
    monkeypatch.setenv("ONTSPAN_DATA", str(d))
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)
    monkeypatch.delenv("ONTSPAN_TRACE", raising=False)
    return d


@pytest.fixture
def sim(make_sim):
    dev = make_sim(speed=SPEED)
    wait_for(lambda: hello_or_none(dev.port))
    return dev


def run(capsys, *argv):
    """The CLI in this process: (exit code, stdout, stderr)."""
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def run_json(capsys, *argv):
    rc, out, err = run(capsys, *argv, "--json")
    assert rc == 0, err
    return json.loads(out)


def library():
    protos, diags = check_paths([PROTOCOLS_DIR])
    assert not [d for d in diags if d.severity == "error"]
    return protos, compile_table(protos)


def test_flash_info_start_status_stop(sim, capsys):
    protos, table = library()
    p = sim.port
    rc, out, err = run(capsys, "flash", str(PROTOCOLS_DIR), "--port", p)
    assert rc == 0, err
    assert f"CRC {table_crc(table)}" in out and "pmr-17 (1)" in out

    info = run_json(capsys, "info", "--port", p)
    assert info["firmware"] and info["link_version"] == "1.1" and info["device_id"]
    assert info["table"]["crc"] == table_crc(table)
    assert [x["id"] for x in info["protocols"]] == sorted(q.id for q in protos)
    assert {x["name"] for x in info["protocols"]} == {q.name for q in protos}

    rc, out, _ = run(capsys, "info", "--port", p)
    assert rc == 0 and "adem-4-6" in out and table_crc(table) in out

    rc, out, err = run(capsys, "start", "adem-4-6", "--port", p)
    assert rc == 0 and "adem-4-6 (id 10)" in out, err
    st = run_json(capsys, "status", "--port", p)
    assert st["state"] == "playing" and st["protocol"]["name"] == "adem-4-6"
    assert st["flags"]["table loaded"]

    rc, _, err = run(capsys, "flash", str(PROTOCOLS_DIR), "--port", p)
    assert rc == 1 and "a session is playing" in err  # never replaced under a patient

    assert run(capsys, "stop", "--port", p)[0] == 0
    assert run_json(capsys, "status", "--port", p)["state"] == "idle"

    rc, _, err = run(capsys, "start", "no-such-protocol", "--port", p)
    assert rc == 2 and "adem-4-6 (10)" in err
    rc, _, err = run(capsys, "start", "99", "--port", p)
    assert rc == 1 and "no protocol 99 on the device" in err


def test_flash_refuses_bad_protocols_without_a_device(capsys, tmp_path):
    bad = Path(__file__).parent / "data" / "bad" / "motor-too-strong.toml"
    rc, _, err = run(capsys, "flash", str(bad), "--port", str(tmp_path / "nothing"))
    assert rc == 2 and "not flashed" in err and "motor-too-strong.toml" in err
    rc, out, _ = run(capsys, "flash", str(PROTOCOLS_DIR), "--dry-run")
    assert rc == 0 and "would flash" in out


def test_clock_and_config(sim, capsys):
    p = sim.port
    before = time.time()
    rc, out, _ = run(capsys, "clock", "--set", "--port", p)
    assert rc == 0 and "set" in out
    c = run_json(capsys, "clock", "--port", p)
    took = time.time() - before
    # set to this computer's time, then the sim's clock runs SPEED times fast: ahead by
    # (SPEED - 1) x the seconds since, and never behind (whole seconds: 2 s of rounding)
    assert c["set"] and -2 <= c["drift_s"] <= (SPEED - 1) * took + 2, (c, took)

    cfg = run_json(capsys, "config", "get", "--port", p)
    assert cfg["night_cap"] != 17
    rc, out, err = run(capsys, "config", "set", "night_cap=17", "day_cap=100", "--port", p)
    assert rc == 0 and "night_cap=17" in out, err
    cfg2 = run_json(capsys, "config", "get", "--port", p)
    assert (cfg2["night_cap"], cfg2["day_cap"]) == (17, 100)

    rc, _, err = run(capsys, "config", "set", "night_cap=999", "--port", p)
    assert rc == 2 and "refused night_cap=999" in err
    rc, _, err = run(capsys, "config", "set", "night_cap=dim", "--port", p)
    assert rc == 2 and "not a whole number" in err
    rc, _, err = run(capsys, "config", "set", "volume=3", "--port", p)
    assert rc == 2 and "unknown setting 'volume'" in err
    assert run_json(capsys, "config", "get", "--port", p)["night_cap"] == 17


def test_cli_in_a_subprocess(sim):
    env = dict(os.environ, ONTSPAN_PORT=sim.port)
    res = subprocess.run(
        [sys.executable, "-m", "ontspan.cli.main", "info", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["table"]["crc"] is None and doc["protocols"] == []
    res = subprocess.run(
        [sys.executable, "-m", "ontspan.cli.main", "start", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert res.returncode == 1
    assert (
        res.stderr.strip()
        == "ontspan: no protocol 1 on the device (it has: none: flash a table first)"
    )
    traced = subprocess.run(
        [sys.executable, "-m", "ontspan.cli.main", "status", "--trace"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert traced.returncode == 0 and "Write STATUS" in traced.stderr
    assert "  0000  00 " in traced.stderr  # the hex dump of the frame


def test_port_messages(sim, capsys, tmp_path, monkeypatch):
    rc, _, err = run(capsys, "status", "--port", str(tmp_path / "ttyACM9"))
    assert rc == 1 and err.startswith("ontspan: no device at") and "Traceback" not in err

    with client.Link(sim.port):  # another program holds the port
        rc, _, err = run(capsys, "info", "--port", sim.port)
    assert rc == 1 and "is busy" in err

    master, slave = pty.openpty()  # a serial port with nothing answering
    try:
        rc, _, err = run(capsys, "info", "--port", os.ttyname(slave))
    finally:
        os.close(master)
        os.close(slave)
    assert rc == 1 and "no reply to HELLO" in err and "firmware installed" in err

    from serial.tools import list_ports as lp  # the machine's own ports stay out of it

    monkeypatch.setattr(lp, "comports", lambda: [])
    rc, out, err = run(capsys, "ports", "--json")
    assert rc == 0 and json.loads(out) == {"env_port": None, "ports": []}, err


def test_power_cut_during_upload_keeps_the_old_table(sim, capsys):
    p = sim.port
    assert run(capsys, "flash", str(PROTOCOLS_DIR / "pmr-kort.toml"), "--port", p)[0] == 0
    old = run_json(capsys, "info", "--port", p)["table"]["crc"]
    _, table = library()

    def cut(done, total):
        if done == total:  # every byte staged, COMMIT not yet sent
            sim.kill()

    with client.Link(p) as lk:
        lk.hello()
        with pytest.raises(OntspanError):
            lk.put_table(table, progress=cut)
    wait_for(lambda: hello_or_none(p))
    info = run_json(capsys, "info", "--port", p)
    assert info["table"]["crc"] == old
    assert [x["name"] for x in info["protocols"]] == ["pmr-kort"]
    # and the next flash goes through
    assert run(capsys, "flash", str(PROTOCOLS_DIR), "--port", p)[0] == 0
    assert run_json(capsys, "info", "--port", p)["table"]["crc"] == table_crc(table)


def test_line_noise_and_repl_text_between_requests(sim):
    rng = random.Random(7)
    with client.Link(sim.port) as lk:
        lk.hello()
        for i in range(30):
            junk = bytes(b for b in rng.randbytes(rng.randint(1, 200)) if b != 0x03)
            junk += b"\r\n>>> import os\r\nprint('hello')\r\n"
            if i % 3 == 0:
                junk += codec.encode_frame(9, codec.Cmd.STATUS)[:7]  # a frame cut off
            lk.ser.write(junk)
            payload = rng.randbytes(rng.randint(0, 300))
            assert lk.echo(payload) == payload
            assert lk.status().state_name == "idle"
        counters = lk.info()["link"]
    assert counters["noise"] > 0 or counters["bad"] > 0
    assert hello_or_none(sim.port) is not None


# --- install ---------------------------------------------------------------------------


def old_firmware(tmp_path, version):
    d = tmp_path / f"fw-{version}"
    d.mkdir()
    for f in FIRMWARE_DIR.glob("*.py"):
        (d / f.name).write_text(f.read_text())
    app = d / "contract.py"
    app.write_text(
        re.sub(
            r'^FIRMWARE_VERSION = ".*"',
            f'FIRMWARE_VERSION = "{version}"',
            app.read_text(),
            flags=re.M,
        )
    )
    return d


def device_files(port):
    out = subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", port, "resume",
         "exec", "import os; print(sorted(os.listdir('/flash')))"],
        capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip
    return eval(out.strip().splitlines()[-1])  # a list literal printed by MicroPython


def reset(port):
    install.soft_reset(port)
    return wait_for(lambda: hello_or_none(port))


def test_install_upgrade_and_repair_after_a_cut(make_sim, capsys, tmp_path):
    dev = make_sim("fw", speed=SPEED, boot_from_flash=True)
    wait_for(lambda: hello_or_none(dev.port))
    p = dev.port
    current = build.firmware_version(FIRMWARE_DIR)

    old = old_firmware(tmp_path, "0.0.9")
    rc, out, err = run(capsys, "install", "--port", p, "--firmware", str(old))
    assert rc == 0 and "installed firmware 0.0.9" in out, err
    files = device_files(p)
    assert "main.py" in files and "app.mpy" in files and ".install" not in files
    # the commands a therapist runs name the older firmware and the way to update it
    assert reset(p).firmware == "0.0.9"  # the listing left it at the REPL
    for cmd in (["info"], ["flash", "pmr-kort"]):
        rc, out, err = run(capsys, *cmd, "--port", p)
        assert rc == 0, err
        assert "firmware 0.0.9, older than this" in err and "`ontspan install`" in err, err
    rc, out, err = run(capsys, "info", "--port", p, "--json")
    assert json.loads(out)["firmware"] == "0.0.9"

    # the upgrade is cut off half-way through the copy (mpremote killed)
    copied = []

    def cut(name):
        copied.append(name)
        if len(copied) == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        install.install(p, FIRMWARE_DIR, progress=cut)
    assert ".install" in device_files(p)  # the staged half, not in place
    dev.kill()  # and the power with it: the old firmware still boots
    h = wait_for(lambda: hello_or_none(p))
    assert h.firmware == "0.0.9"

    # a stale source module that would shadow the new bytecode, and break the boot,
    # left over from some older install
    subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", p, "resume", "exec",
         # closed at once: littlefs keeps open files in a list, and a file object the GC
         # frees while still open leaves it pointing into freed heap
         "with open('/flash/pixels.py', 'w') as f: f.write('raise ImportError(\"stale\")')"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip

    rc, out, err = run(capsys, "install", "--port", p)
    assert rc == 0 and f"installed firmware {current}" in out, err
    files = device_files(p)
    assert ".install" not in files and "pixels.py" not in files and "pixels.mpy" in files
    assert reset(p).firmware == current


def test_install_messages(capsys, tmp_path):
    rc, _, err = run(capsys, "install", "--port", str(tmp_path / "ttyACM9"))
    assert rc == 1 and "no device at" in err
    rc, _, err = run(capsys, "install", "--port", "x", "--firmware", str(tmp_path / "nope"))
    assert rc == 2 and "is not a folder" in err
