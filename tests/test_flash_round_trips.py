"""`ontspan flash` of the whole library on the sim in one round trip after HELLO, counted
on the serial port (a round trip: the host writes after it has read, i.e. it waited
for a reply), and the device holds the table after."""

import sys
from pathlib import Path

from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.device import client
from ontspan.device.codec import Cmd
from ontspan.device.names import table_crc_of
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table, table_crc
from ontspan.protocols.files import check_paths

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, where bench/ is
from bench.budget import counted_ports  # noqa: E402  (the port that counts round trips)

MAX_FLASH_ROUND_TRIPS = 1  # SET_CLOCK, INFO, BEGIN, the CHUNK and COMMIT together


def test_flash_of_the_library_is_one_round_trip(make_sim, monkeypatch):
    dev = make_sim("flash")
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    ports = counted_ports(monkeypatch.setattr)
    assert main(["flash", str(PROTOCOLS_DIR), "--port", dev.port]) == 0
    table = compile_table(check_paths([PROTOCOLS_DIR])[0])
    assert len(table) <= 508  # the library is one chunk: the count below is the whole flash
    assert len(ports) == 1
    flash_trips = ports[0].round_trips - 1  # the connect's HELLO is not the flash's
    assert 1 <= flash_trips <= MAX_FLASH_ROUND_TRIPS, flash_trips
    with client.Link(dev.port) as lk:
        lk.hello()
        assert table_crc_of(lk.info()) == table_crc(table)
    assert ports[1].round_trips == 2  # the counter itself: HELLO, INFO one at a time


def test_a_pipeline_is_one_round_trip_and_answers_in_order(make_sim, monkeypatch):
    dev = make_sim("pipeline")
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    ports = counted_ports(monkeypatch.setattr)
    with client.Link(dev.port) as lk:
        lk.hello()
        echo, status, info = lk.pipeline([(Cmd.ECHO, b"abc"), (Cmd.STATUS, b""), (Cmd.INFO, b"")])
        assert ports[0].round_trips == 2
        lk.status()
        lk.echo(b"x")
        assert ports[0].round_trips == 4  # one each, unpipelined
    assert echo == b"abc" and len(status) == 12 and info[0] == 1
