"""The device vanishes or loses power in the middle of a command: one line, exit 1,
never a traceback; the repeated command completes, a repeated pull without a
duplicate or a gap. The moment is picked at random among the command's requests,
counted from its wire trace in a first uncut run, so every run cuts somewhere else
within the command; the seed is in every failure message (ONTSPAN_CUT_SEED repeats one)."""

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import hello_or_none, wait_for
from ontspan.archive.store import Archive
from ontspan.device import client as L
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.files import check_paths
from ontspan.shared import C

IDLE, PLAYING = C.STATE_IDLE, C.STATE_PLAYING
ONTSPAN = shutil.which("ontspan", path=str(Path(sys.executable).parent)) or "ontspan"
SESSIONS = 8  # 16 records: two GET_LOGS batches


def _boot(make_sim, name):
    dev = make_sim(name, speed=20)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    return dev


@pytest.fixture
def device(make_sim, request):
    """A sim holding the library's table (and, for a pull, SESSIONS stopped sessions)."""
    protos, diags = check_paths([PROTOCOLS_DIR])
    assert not [d for d in diags if d.severity == "error"]
    dev = _boot(make_sim, "pico")
    with L.Link(dev.port) as lk:
        lk.hello()
        lk.put_table(compile_table(protos))
        lk.set_clock()
        pid = lk.info()["protocols"][0]
        for _ in range(SESSIONS if request.node.callspec.params["command"] == "logs pull" else 0):
            lk.start(pid)
            wait_for(lambda: lk.status().state == PLAYING)
            lk.stop()
            wait_for(lambda: lk.status().state == IDLE)
    return dev, pid


def run_and_cut(argv, dev, at_write, vanish):
    """Run the CLI; at its at_write-th request cut the power (the sim boots the
    firmware again) or make the device vanish. Returns (rc, stderr without trace)."""
    env = dict(os.environ, ONTSPAN_TRACE="1")
    p = subprocess.Popen([ONTSPAN, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, text=True)
    assert p.stderr is not None
    writes, lines, full = 0, [], []
    for line in p.stderr:
        full.append(line)
        if line.startswith("TRACE ") and " Write " in line:
            writes += 1
            if writes == at_write:
                dev.stop() if vanish else dev.kill()
        elif not line.startswith(("TRACE ", "  ")):
            lines.append(line)
    rc = p.wait(timeout=120)
    if writes < at_write:  # the command was done sooner: cut after it
        dev.stop() if vanish else dev.kill()
    if "Traceback" in "".join(full):
        return rc, "".join(full)
    return rc, "".join(lines)


def count_writes(argv):
    """Requests the command sends when nothing cuts it (its wire trace)."""
    env = dict(os.environ, ONTSPAN_TRACE="1")
    done = subprocess.run([ONTSPAN, *argv], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return sum(1 for ln in done.stderr.splitlines() if ln.startswith("TRACE ") and " Write " in ln)


def check_one_line(rc, err):
    assert "Traceback" not in err
    assert rc in (0, 1), err
    if rc:
        assert len(err.strip().splitlines()) == 1 and err.startswith("ontspan: "), err


COMMANDS = {
    "logs pull": lambda port, db, pid: ["logs", "pull", "--port", port, "--db", db],
    "flash": lambda port, db, pid: ["flash", str(PROTOCOLS_DIR), "--port", port],
    "info": lambda port, db, pid: ["info", "--port", port],
    "status": lambda port, db, pid: ["status", "--port", port],
    "start": lambda port, db, pid: ["start", str(pid), "--port", port],
    "stop": lambda port, db, pid: ["stop", "--port", port],
}


@pytest.mark.parametrize("vanish", [False, True], ids=["power-cut", "vanished"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cut_mid_command_says_one_line_and_the_repeat_completes(
        command, vanish, device, make_sim, tmp_path):
    dev, pid = device
    db = str(tmp_path / "archive.sqlite3")
    seed = int(os.environ.get("ONTSPAN_CUT_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    # a first uncut run says how many requests the command makes (a pull into an
    # archive of its own, so the cut pull still has everything to fetch)
    writes = count_writes(COMMANDS[command](dev.port, str(tmp_path / "count.sqlite3"), pid))
    if command == "start":
        subprocess.run([ONTSPAN, "stop", "--port", dev.port], capture_output=True, timeout=60)
        wait_for(lambda: hello_or_none(dev.port), timeout=60)
    assert writes >= 2, writes
    at = rng.randint(1, writes)
    why = f"seed {seed}: cut at request {at} of {writes}"
    rc, err = run_and_cut(COMMANDS[command](dev.port, db, pid), dev, at, vanish)
    check_one_line(rc, err)
    if vanish and rc:
        # the port was open and answering: the device went during the command
        assert err.startswith(f"ontspan: lost the device during {command}"), (why, err)
        assert err.rstrip().endswith("run it again to continue"), (why, err)
    if vanish:
        dev = _boot(make_sim, "pico")  # plugged in again: the same flash
    else:
        wait_for(lambda: hello_or_none(dev.port), timeout=60)
    again = subprocess.run([ONTSPAN, *COMMANDS[command](dev.port, db, pid)],
                           capture_output=True, text=True, timeout=120)
    if command == "start" and "busy" in again.stderr:
        again.returncode = 0  # the first start got through before the cut: it plays
    assert again.returncode == 0, (why, again.stderr)
    if command == "logs pull":
        with Archive(db) as ar:
            (dev_id,) = [d["device_id"] for d in ar.devices()]
            seqs = [r[0] for r in ar.db.execute(
                "SELECT seq FROM records WHERE device_id = ? ORDER BY seq", (dev_id,))]
            # a power cut may have cut a session of its own: at most one more
            assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 2 * SESSIONS, why
            assert len(ar.sessions()) == len(seqs) // 2, why


class _Port:
    """A pyserial port that fails in one of the ways a vanished device makes it fail."""

    def __init__(self, fail):
        self.fail, self.port, self.timeout = fail, "/dev/ttyACM9", 0.05

    @property
    def in_waiting(self):
        if self.fail == "in_waiting":
            raise OSError(5, "Input/output error")
        return 0

    def write(self, data):
        if self.fail == "timeout":
            import serial

            raise serial.SerialTimeoutException("Write timeout")
        if self.fail == "eio":
            raise OSError(5, "Input/output error")
        if self.fail == "termios":
            import termios

            raise termios.error(5, "Input/output error")
        return len(data)

    def read(self, size=1):
        return b""

    def reset_input_buffer(self):
        pass

    def close(self):
        pass


@pytest.mark.parametrize("fail", ["timeout", "eio", "termios", "in_waiting"])
def test_loss_guard_makes_every_port_failure_one_device_lost(fail, capsys):
    from ontspan.cli.main import main
    from ontspan.device.lossguard import LossGuard
    from ontspan.errors import DeviceLost

    guard = LossGuard(_Port(fail))
    with pytest.raises(DeviceLost):
        guard.write(b"x")
        guard.in_waiting  # noqa: B018  (the property itself fails)
    # and through the CLI: one line, exit 1
    import ontspan.cli.device as cd

    real = cd.connect

    def connect(args):
        lk = L.Link(_Port(fail))
        lk._answered = True  # it answered before: silence now means it went away
        return lk

    cd.connect = connect
    try:
        rc = main(["status", "--port", "/dev/ttyACM9"])
    finally:
        cd.connect = real
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("ontspan: lost the device during status"), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
