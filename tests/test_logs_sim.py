"""Practice logs on the simulated device through the CLI: a wiped flash loses nothing."""

import pytest
from conftest import hello_or_none, wait_for
from ontspan.archive.store import Archive
from ontspan.cli.main import main
from ontspan.device import client
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.files import check_paths
from ontspan.shared import C

IDLE, PLAYING = C.STATE_IDLE, C.STATE_PLAYING


@pytest.fixture(autouse=True)
def _no_port_env(monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)


def _table():
    protos, diags = check_paths([PROTOCOLS_DIR / "pmr-kort.toml"])
    assert not [d for d in diags if d.severity == "error"]
    return compile_table(protos)


def boot_sim(make_sim, name="pico"):
    dev = make_sim(name, speed=20)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    with client.Link(dev.port) as lk:
        lk.hello()
        lk.put_table(_table())
    return dev


def sessions(dev, n):
    with client.Link(dev.port) as lk:
        lk.hello()
        lk.set_clock()
        pid = lk.info()["protocols"][0]
        for _ in range(n):
            lk.start(pid)
            wait_for(lambda: lk.status().state == PLAYING)
            lk.stop()
            wait_for(lambda: lk.status().state == IDLE)


def test_wiped_flash_is_a_new_log_and_the_archive_holds_all_four(make_sim, tmp_path, capsys):
    db = str(tmp_path / "archive.sqlite3")
    dev = boot_sim(make_sim)
    sessions(dev, 2)
    assert main(["logs", "pull", "--port", dev.port, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "4 new record(s)" in out
    device_id, state = dev.device_id, dev.state
    dev.stop()
    (state / "flash.img").unlink()  # reformatted; the device id stays
    dev = boot_sim(make_sim)
    assert dev.device_id == device_id
    with client.Link(dev.port) as lk:
        lk.hello()
        now = lk.info()["logs"]
    assert now["last"] == 0 and now["epoch"], now  # a new logbook
    sessions(dev, 2)
    assert main(["logs", "pull", "--port", dev.port, "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "new log epoch" in out[0] and "reformatted" in out[0]
    assert "4 new record(s), 0 already archived, last seq 4" in out[1]
    with Archive(db) as ar:
        got = ar.sessions(device_id)
        assert len(got) == 4 and len({s.epoch for s in got}) == 2
        assert all(s.outcome == "STOPPED" and s.version == 2 for s in got)
    assert main(["logs", "pull", "--port", dev.port, "--db", db]) == 0
    assert "0 new record(s)" in capsys.readouterr().out
