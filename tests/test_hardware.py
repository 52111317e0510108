"""Read-only checks against a real Pico running Ontspan, on the port in ONTSPAN_PORT:

    ONTSPAN_PORT=/dev/ttyACM0 .venv/bin/pytest -m hardware

Skipped when ONTSPAN_PORT is not set (so `make test` never needs a device). They
change nothing on the device: no table, config, clock or log is written, no session
started. A simulated device passes them too (`ontspan sim`, then its port)."""

import os

import pytest
from ontspan.device.client import Link
from ontspan.device.codec import LINK_MAJOR, MAX_PAYLOAD
from ontspan.logformat import decode
from ontspan.protocols.compiler import table_crc
from ontspan.protocols.decoder import decode_table
from ontspan.shared import code_names

pytestmark = pytest.mark.hardware
PORT = os.environ.get("ONTSPAN_PORT", "")


@pytest.fixture
def lk():
    with Link(PORT) as link:
        link.hello()
        yield link


def test_hello_and_info_describe_the_device(lk):
    h = lk.hello()
    assert h.link_major == LINK_MAJOR and h.firmware and 0 < h.max_payload <= MAX_PAYLOAD
    info = lk.info()
    assert info["device_id"] == lk.device_id() and info["firmware"] == h.firmware
    assert lk.status().state in code_names("STATE_")


def test_echo_returns_every_byte_value_at_full_payload(lk):
    data = bytes(range(256)) * (lk.max_payload // 256) + bytes(range(lk.max_payload % 256))
    assert len(data) == lk.max_payload
    assert lk.echo(data) == data
    assert lk.echo(b"") == b""


def test_the_table_read_back_is_the_one_info_names(lk):
    crc = lk.info()["table"]["crc"]
    if crc is None:
        pytest.skip("no table on the device")
    data = lk.get_table()
    assert table_crc(data) == crc
    assert [p.id for p in decode_table(data).programs] == list(lk.info()["protocols"])


def test_the_first_log_records_are_whole(lk):
    recs = [decode(r) for r in lk.get_logs(1, 16)]  # decode checks each record's CRC
    seqs = [r.seq for r in recs]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
