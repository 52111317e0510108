"""The wall clock stays small ints on a 31-bit port (the rp2's): the real app under
MicroPython, its clock set past 2026, holds no int beyond -2**30..2**30-1 and runs
its loop with link traffic under heap_lock."""

import calendar
import struct

import pytest
from conftest import run_on_rp2_board
from fwtables import op_breath, op_group, op_pmr, program, table
from ontspan.firmware import contract as C
from ontspan.mpy import HEAPSIZE

EPOCH_2027 = calendar.timegm((2027, 3, 14, 23, 30, 0))  # local 00:30 at tz +60: night


def test_device_epoch_is_a_midnight_2024():
    assert (C.DEVICE_EPOCH_HI << 16) | C.DEVICE_EPOCH_LO == calendar.timegm((2024, 1, 1, 0, 0, 0))
    assert struct.calcsize(C.SET_CLOCK_REQ_HALVES) == struct.calcsize(C.SET_CLOCK_REQ)
    assert struct.calcsize(C.CLOCK_REPLY_HALVES) == struct.calcsize(C.CLOCK_REPLY)
    assert EPOCH_2027 > 2**30  # the point: one int of this is a heap int on the rp2


@pytest.mark.parametrize("epoch", [EPOCH_2027, 2**31 + 12345])  # 2038: past the i32 edge too
def test_clock_past_2026_keeps_every_value_a_31_bit_small_int(mpy, tmp_path, epoch):
    from ontspan.device.codec import Frame, FrameParser

    data = table(
        [program(op_pmr(1), op_group(0, 10, 50, 3), op_breath(40, 0, 40, 0, length=4, cycles=True))]
    )
    printed = run_on_rp2_board(
        mpy, f"import clock31\nclock31.run({data!r}, {epoch}, 60)",
        tmp_path, HEAPSIZE,
    )
    out = {ln.split()[0]: ln.split()[1:] for ln in printed.splitlines() if ln.strip()}
    assert out["big"] == ["0", "-"], out["big"]
    sent = int(out["sent"][0])
    assert sent >= 5
    if epoch == EPOCH_2027:
        assert out["night"] == ["1"]  # 00:30 local: the time of day came out right
    wall_s = int(out["wall_s"][0])
    assert 0 <= wall_s - (epoch - calendar.timegm((2024, 1, 1, 0, 0, 0))) < 60
    replies = [
        e for e in FrameParser().feed(bytes.fromhex(out["replies"][0])) if isinstance(e, Frame)
    ]
    assert len(replies) == sent and all(r.status == 0 for r in replies)
    for r in replies:
        got, tz, is_set = struct.unpack(C.CLOCK_REPLY, r.payload)
        assert (tz, is_set) == (60, 1) and 0 <= got - epoch < 60
    log = bytes.fromhex(out["log"][0])
    walls = [struct.unpack_from("<I", log, o + C.LOG_O_WALL)[0] for o in range(0, len(log), 32)]
    assert walls and all(0 <= w - epoch < 60 for w in walls), walls


def test_a_clock_no_host_sends_is_refused(mpy, tmp_path):

    data = table([program(op_pmr(1))])
    printed = run_on_rp2_board(
        mpy, f"import clock31\nclock31.run({data!r}, 0xFFFF0000, 0, seconds=0)",
        tmp_path, HEAPSIZE,
    )
    out = {ln.split()[0]: ln.split()[1:] for ln in printed.splitlines() if ln.strip()}
    assert out["big"] == ["0", "-"] and out["wall_s"] == ["0"]
