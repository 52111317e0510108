"""Host side of the log record format: the same golden bytes as the firmware test."""

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


@given(st.builds(Record, st.sampled_from(list(RecordType)), u32, u16, u32, u32, u8, u32, u16,
                 u16, u8, u8, st.sampled_from(list(Outcome)), u8, u8))
def test_roundtrip(r):
    assert decode(encode(r)) == r
