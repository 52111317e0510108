"""`ontspan flash` of the whole library on the sim: the requests it makes, counted
in the link client (frames, not time), and the device holds the table after."""

from conftest import hello_or_none, wait_for
from ontspan.cli import main
from ontspan.device import client
from ontspan.device.codec import Cmd
from ontspan.device.names import table_crc_of
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table, table_crc
from ontspan.protocols.files import check_paths

MAX_FLASH_ROUND_TRIPS = 5  # SET_CLOCK, INFO, BEGIN, CHUNK, COMMIT for one chunk


def test_flash_of_the_library_is_a_handful_of_round_trips(make_sim, monkeypatch):
    dev = make_sim("flash")
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    sent: list[int] = []
    request = client.Link.request

    def counting(self, cmd, *a, **kw):
        sent.append(cmd)
        return request(self, cmd, *a, **kw)

    monkeypatch.setattr(client.Link, "request", counting)
    assert main(["flash", str(PROTOCOLS_DIR), "--port", dev.port]) == 0
    table = compile_table(check_paths([PROTOCOLS_DIR])[0])
    assert len(table) <= 508  # the library is one chunk: the count below is the whole flash
    flash_cmds = [c for c in sent if c != Cmd.HELLO]  # the connect's HELLO is not the flash's
    assert len(flash_cmds) <= MAX_FLASH_ROUND_TRIPS, [Cmd(c).name for c in sent]
    assert Cmd.GET_TABLE not in sent  # verified by the CRC in COMMIT, not read back
    monkeypatch.setattr(client.Link, "request", request)
    with client.Link(dev.port) as lk:
        lk.hello()
        assert table_crc_of(lk.info()) == table_crc(table)
