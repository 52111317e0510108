"""Every standard protocol, whole, day and night, played by the real firmware on
the sim on exact device time is the device preview's session: the same edges,
the same light at every frame and the same motor pulses, each within the
trace's own resolution of 1 ms (cue_trace.differences with a 1 ms window).

The session is started at 1x and at once lived through inside a jump (hal_sim:
the clock is frozen and each sleep's time passes exactly as asked), so no stall of
this machine can move a cue. (Its START edge is stamped at 1x, so the session's
zero may sit up to a ms from the engine's: the 1 ms.) That holds once the jump has begun before the first
thing the session does after its START edge; the trace shows whether it did, and
a start that the machine let run ahead is played again. What the firmware does
on a scaled wall clock, a loop pass late, is judged by what is felt in
tests/test_cues_sim.py."""

from conftest import hello_or_none, wait_for
from ontspan.device import client as L
from ontspan.preview.device import play
from ontspan.preview.trace import differences, parse
from ontspan.protocols.compiler import compile_table
from ontspan.sim.device import SimDevice
from test_cues_sim import _library, day_and_night

JUMP_S = 14 * 86400  # past the 2^30 ms tick wrap: the session's ticks may wrap too
TRIES = 3
MS = 1  # the trace's resolution


def on_exact_time(lines: list[str]) -> bool:
    """The jump began before anything the session did after its START edge (or before
    that edge: a rating asked first keeps the session waiting inside the jump)."""
    t0 = None
    for line in lines:
        parts = line.split()
        if parts[0] == "J" and parts[2] == str(JUMP_S):
            return True
        if parts[0] in ("E", "F", "M"):
            if t0 is None and parts[0] == "E":
                t0 = parts[1]
            elif t0 is not None and parts[1] != t0:
                return False
    return False


def _play_exact(state, epoch, protos):
    """Each protocol's session and the preview's differences from it, on one sim."""
    out = {}
    with SimDevice(state, speed=1, trace=True) as dev:
        wait_for(lambda: hello_or_none(dev.port), timeout=60)
        with L.Link(dev.port) as lk:
            lk.hello()
            lk.put_table(compile_table(protos))
            for p in protos:
                for _ in range(TRIES):
                    lk.set_clock(epoch, 0)
                    dev.jump(10)  # two passes of the room's decision, seconds apart:
                    dev.jump(10)  # day or night is settled before the session starts
                    first = len(dev.trace_lines())
                    lk.start(p.id)
                    dev.jump(JUMP_S)
                    lines = dev.trace_lines()[first:]
                    if on_exact_time(lines):
                        break
                else:
                    raise AssertionError(f"{p.name}: the jump never began before the session's first step")
                assert lk.status().state_name == "idle", p.name  # the session and its rating are over
                out[p.name] = parse(lines)
    return out


def test_every_protocol_on_exact_time_is_the_preview(tmp_path):
    protos = _library()
    got = day_and_night(lambda mode, epoch: _play_exact(tmp_path / mode, epoch, protos))
    bad = []
    for mode, sessions in got.items():
        assert isinstance(sessions, dict)
        for p in protos:
            [s] = sessions[p.name]
            want = play(p, night=mode == "night")
            assert [e[1:] for e in s.edges] == [e[1:] for e in want.edges], (p.name, mode)
            assert all(abs(a[0] - b[0]) <= MS for a, b in zip(s.edges, want.edges, strict=True)), p.name
            bad += [f"{p.name} {mode}: {d}" for d in differences(s, want, late_ms=MS, early_ms=MS)]
    assert not bad, bad


def test_exact_time_is_read_from_the_trace():
    start = ["E 100 1 0 0 0", "M 100 110 45000"]
    assert on_exact_time(start + [f"J 100 {JUMP_S}", "F 132 0003"])
    assert not on_exact_time(start + ["F 132 0003", f"J 140 {JUMP_S}"])  # a step ran at 1x
    assert on_exact_time([f"J 90 {JUMP_S}", *start])  # a rating before: all inside
    assert not on_exact_time(start)  # no jump at all
