"""The device vanishes or loses power in the middle of a command: one line, exit 1,
never a traceback; the repeated command completes, a repeated pull without a
duplicate or a gap. The moment is picked at random among the command's requests
(read from its wire trace), so every run cuts somewhere else."""

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import hello_or_none, wait_for
from ontspan.archive import Archive
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
    wait_for(lambda: hello_or_none(dev.port), timeout=20)
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
WRITES = {"logs pull": 9, "flash": 12, "info": 2, "status": 2, "start": 3, "stop": 2}


@pytest.mark.parametrize("vanish", [False, True], ids=["power-cut", "vanished"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cut_mid_command_says_one_line_and_the_repeat_completes(
        command, vanish, device, make_sim, tmp_path):
    dev, pid = device
    db = str(tmp_path / "archive.sqlite3")
    rng = random.Random()
    at = rng.randint(1, WRITES[command])
    rc, err = run_and_cut(COMMANDS[command](dev.port, db, pid), dev, at, vanish)
    check_one_line(rc, err)
    if vanish and rc:
        assert "lost the device during" in err or "no device at" in err, (at, err)
        assert "run it again to continue" in err or "no device at" in err
    if vanish:
        dev = _boot(make_sim, "pico")  # plugged in again: the same flash
    else:
        wait_for(lambda: hello_or_none(dev.port), timeout=20)
    again = subprocess.run([ONTSPAN, *COMMANDS[command](dev.port, db, pid)],
                           capture_output=True, text=True, timeout=120)
    if command == "start" and "busy" in again.stderr:
        again.returncode = 0  # the first start got through before the cut: it plays
    assert again.returncode == 0, (at, again.stderr)
    if command == "logs pull":
        with Archive(db) as ar:
            (dev_id,) = [d["device_id"] for d in ar.devices()]
            seqs = [r[0] for r in ar.db.execute(
                "SELECT seq FROM records WHERE device_id = ? ORDER BY seq", (dev_id,))]
            # a power cut may have cut a session of its own: at most one more
            assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 2 * SESSIONS, at
            assert len(ar.sessions()) == len(seqs) // 2
