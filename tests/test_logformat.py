"""Host side of the log record format: the same golden bytes as the firmware test."""

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ontspan.logformat import (
    SIZE,
    Outcome,
    Record,
    RecordError,
    RecordType,
    crc16,
    decode,
    encode,
    end_of,
    split,
    split_reply,
)

VEC = Path(__file__).parent / "vectors" / "log"
EXPECTED = json.loads((VEC / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_vectors(name):
    data = (VEC / f"{name}.bin").read_bytes()
    r = decode(data)
    e = dict(EXPECTED[name])
    assert int(r.rtype) == e.pop("rtype") and int(r.outcome) == e.pop("outcome")
    for k, v in e.items():
        assert getattr(r, k) == v, k
    assert encode(r) == data


def test_crc_is_ccitt_false():
    assert crc16(b"123456789") == 0x29B1  # the catalogue check value


def test_end_of_start_vector_is_end_vector():
    start = decode((VEC / "start.bin").read_bytes())
    end = end_of(start, 1492, 4, 17, Outcome.COMPLETED, 3)
    assert encode(end) == (VEC / "end.bin").read_bytes()


@pytest.mark.parametrize("bad", [b"\xff" * 32, bytes(32), b"S" * 31])
def test_rejects_erased_zeroed_and_short(bad):
    with pytest.raises(RecordError):
        decode(bad)


def test_rejects_every_single_bit_flip():
    good = (VEC / "end.bin").read_bytes()
    for i in range(SIZE * 8):
        b = bytearray(good)
        b[i // 8] ^= 1 << (i % 8)
        with pytest.raises(RecordError):
            decode(bytes(b))


def test_split():
    data = (VEC / "start.bin").read_bytes() + (VEC / "end.bin").read_bytes()
    assert [decode(r).seq for r in split(data)] == [41, 42]
    with pytest.raises(RecordError):
        list(split(data[:-1]))


u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)


tension = st.one_of(st.integers(0, 10), st.just(255))


@given(st.builds(Record, st.sampled_from(list(RecordType)), u32, u16, u32, u32, u8, u32, u16,
                 u16, u8, u8, st.sampled_from(list(Outcome)), tension, tension, st.just(2), u8))
def test_roundtrip_v2(r):
    assert decode(encode(r)) == r


@given(st.builds(Record, st.sampled_from([RecordType.START, RecordType.END]), u32, u16, u32,
                 u32, u8, u32, u16, u16, u8, u8,
                 st.sampled_from([o for o in Outcome if o != Outcome.PAUSED_TOO_LONG]), u8, u8,
                 st.just(1)))
def test_roundtrip_v1(r):
    assert decode(encode(r)) == r


def test_v2_end_of_start_keeps_the_moment_and_packs_tension():
    start = decode((VEC / "v2_start.bin").read_bytes())
    assert (start.version, start.moment, start.before, start.after) == (2, 1, 7, 255)
    end = end_of(start, 1492, 4, 17, Outcome.COMPLETED, 3)
    assert encode(end) == (VEC / "v2_end.bin").read_bytes()
    assert encode(end)[10] == 0x37  # before in the low nibble, after in the high one


def test_v1_has_no_missed_and_no_paused_too_long():
    v1 = decode((VEC / "end.bin").read_bytes())
    with pytest.raises(RecordError):
        encode(dataclasses.replace(v1, rtype=RecordType.MISSED))
    bad = bytearray((VEC / "end.bin").read_bytes())
    bad[3] = Outcome.PAUSED_TOO_LONG
    bad[30:32] = crc16(bytes(bad[:30])).to_bytes(2, "little")
    with pytest.raises(RecordError, match="not in version 1"):
        decode(bytes(bad))


def test_v2_tension_nibbles_out_of_range_are_refused():
    bad = bytearray((VEC / "v2_end.bin").read_bytes())
    bad[10] = 0xB3  # after = 11
    bad[30:32] = crc16(bytes(bad[:30])).to_bytes(2, "little")
    with pytest.raises(RecordError, match="tension"):
        decode(bytes(bad))


def test_unknown_versions_are_refused():
    bad = bytearray((VEC / "v2_end.bin").read_bytes())
    bad[1] = 3
    bad[30:32] = crc16(bytes(bad[:30])).to_bytes(2, "little")
    with pytest.raises(RecordError, match="version 3"):
        decode(bytes(bad))


def test_get_logs_reply_with_and_without_epoch():
    recs = (VEC / "v2_start.bin").read_bytes() + (VEC / "v2_end.bin").read_bytes()
    assert split_reply(bytes.fromhex("a1b2c3d4") + recs) == ("a1b2c3d4", list(split(recs)))
    assert split_reply(recs) == ("", list(split(recs)))  # firmware before log epochs
    assert split_reply(bytes.fromhex("a1b2c3d4")) == ("a1b2c3d4", [])


def test_outcome_values_and_names_come_from_the_contract():
    from ontspan.firmware import contract as c

    assert Outcome.PAUSED_TOO_LONG == c.LOG_OUT_PAUSED_TOO_LONG == 5
    assert Outcome.FAULT == 4 and RecordType.MISSED == c.LOG_MISSED
    assert Outcome.PAUSED_TOO_LONG.label == "stopped: paused too long"
