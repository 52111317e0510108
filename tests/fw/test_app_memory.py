"""No memory lock-out: the real app reflashed and played in a loop under MicroPython
with a heap like the Pico's, and the whole loop pass allocation-free under heap_lock."""

import pytest
from conftest import run_on_rp2_board
from fwtables import op_breath, op_group, op_pmr, op_rest, pmr17, program, table
from ontspan.mpy import HEAPSIZE

# The Pico leaves about 190 KiB free with the firmware running (rp2 port: 240 KiB heap,
# 50 KB in use). The 64-bit unix port's objects are about twice as large: the same
# firmware takes ~120 KB here, so this heap leaves the app the Pico's free heap.
HEAP = HEAPSIZE  # the sim's heap: what a Pico leaves free
ROUNDS = 1000  # about 8 s on a 2-core machine; bench/firmware.py reports the same count


def tables():
    """Changing tables, from one small program to one near the 8 KiB limit."""
    big = [program(op_pmr(250), *[op_group(g % 254, 10, 50, 1) for g in range(250)])] * 5
    return [
        table([pmr17()]),
        table([program(op_breath(40, 0, 60, 0, length=2, cycles=True))], ids=[7]),
        table(big, ids=[11, 12, 13, 14, 15]),
        table([pmr17(reps=1), program(op_rest(60))], ids=[3, 4]),
        table([program(op_breath(40, 10, 60, 10, length=3, cycles=True))] * 20,
              ids=list(range(20, 40))),
    ]


@pytest.fixture
def table_files(tmp_path):
    paths = []
    for i, t in enumerate(tables()):
        assert len(t) <= 8192
        p = tmp_path / f"t{i}.bin"
        p.write_bytes(t)
        paths.append(str(p))
    assert max(len(t) for t in tables()) > 7000
    return paths


def test_reflash_and_play_many_times_without_memory_lock_out(mpy, tmp_path, table_files):
    state = tmp_path / "state"
    state.mkdir()
    res = mpy.run(
        f"import reflash\nreflash.run({table_files!r}, {ROUNDS})",
        env={"ONTSPAN_SIM_STATE": str(state), "ONTSPAN_SIM_SPEED": "100"},
        heapsize=HEAP,
        timeout=600,
    )
    assert "MemoryError" not in res.output, res.output[-2000:]
    assert res.ok, res.output[-2000:]
    lines = res.stdout.split("\n")
    done = next(ln.split() for ln in lines if ln.startswith("done"))
    rounds, ok, refused, sessions = map(int, done[1:])
    assert (rounds, ok, refused, sessions) == (ROUNDS, ROUNDS, ROUNDS, ROUNDS)
    free = [int(ln.split()[2]) for ln in lines if ln.startswith("heap")]
    # after the first rounds settle (log segments, caches), free heap does not trend down
    settled = free[2:]
    print(free)
    assert min(settled[len(settled) // 2 :]) >= max(settled[: len(settled) // 2]) - 2048, free


def test_whole_loop_pass_allocates_nothing_during_a_session_with_link_traffic(mpy, tmp_path):
    from ontspan.device.codec import Frame, FrameParser

    data = table([program(op_pmr(1), op_group(0, 10, 50, 3), op_breath(40, 0, 40, 0, length=4, cycles=True))])
    printed = run_on_rp2_board(mpy, f"import locked_step\nlocked_step.run({data!r}, 1)", tmp_path, HEAP)
    words = printed.split()
    got = dict(zip(words[0:-2:2], words[1:-2:2], strict=False))
    assert int(got["sent"]) >= 20 and int(got["edges"]) >= 3 and int(got["frames"]) > 50
    assert int(got["motor_peak"]) > 0 and got["mode"] == "1" and int(got["paused_ms"]) > 300  # paused, resumed
    replies = [e for e in FrameParser().feed(bytes.fromhex(words[-1])) if isinstance(e, Frame)]
    assert len(replies) == int(got["sent"])
    want = {0x81: 0, 0x90: 0x06, 0xD1: 0x06, 0xB0: 0x06, 0xB2: 0, 0xA1: 0, 0x82: 0}
    assert all(want[r.code] == r.status for r in replies), [(hex(r.code), r.status) for r in replies]
    assert {r.code for r in replies} == set(want)  # INFO among them, answered under the lock
