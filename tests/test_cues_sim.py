"""Cues for the dark, on the simulated device (the real firmware on a pty, with
--trace), a day sim and a night sim side by side: adem-4-7-8 and pmr-kort
whole (between them all five phase kinds, rest and end), and the opening of
every other standard protocol (each of its phase kinds once, in its own style),
then stopped. Every lit phase reaches LED byte 3 and never shows blue at night,
in brightens and out dims; every phase edge is felt and the five kinds feel
different. That the same firmware on exact device time plays every protocol
as the device preview does, to the ms, is tests/test_cues_exact_sim.py.

The sim's clock is the wall clock times SPEED, so a loaded machine makes a cue
a loop pass late; what is judged here is what is felt, which such lateness does
not change. The sim's state lives on tmpfs when there is one: a trace line is a
write to it in the cue loop, and a disk that other processes keep busy would
stall the loop (tmpfs makes no disk round trip).

The sim runs at SPEED: pulses and gaps of 100 ms must stay several loop passes
long on a busy machine, so it is not faster."""

import math
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from conftest import hello_or_none, wait_for
from ontspan.device import client as L
from ontspan.paths import PROTOCOLS_DIR
from ontspan.preview.trace import (
    PHASES,
    light_faults,
    parse,
    signatures,
    summarise,
    touch_faults,
)
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.files import check_paths
from ontspan.protocols.timeline import KIND_NAMES, edges
from ontspan.shared import C
from ontspan.sim.device import SimDevice

SPEED = 10
WHOLE = ("adem-4-7-8", "pmr-kort")
OPENING_MS = 15_000  # at least, and until each phase kind has played once
OPENING_MAX_MS = 40_000  # avondritueel's breathing block comes after minutes of PMR
DAY = 1_796_000_000 - 1_796_000_000 % 86400 + 12 * 3600  # 12:00 UTC
NIGHT = DAY + 11 * 3600  # 23:00 UTC
SHM = Path("/dev/shm")


def _library():
    protos, diags = check_paths([PROTOCOLS_DIR])
    assert not [d for d in diags if d.severity == "error"]
    return sorted(protos, key=lambda p: p.id)


def opening_ms(proto) -> int | None:
    """How long the sim plays `proto` before STOP (None: whole): until the edge
    after the first of each of its phase kinds has begun."""
    if proto.name in WHOLE:
        return None
    es = edges(proto)
    kinds = {e[1] for e in es if KIND_NAMES[e[1]] not in ("REST", "END")}
    seen: set[int] = set()
    need = OPENING_MS
    for e, after in zip(es, es[1:], strict=False):
        if e[1] in kinds and e[1] not in seen:
            seen.add(e[1])
            need = max(need, after[0])
    return min(need, OPENING_MAX_MS)


def _record(state, epoch, protos):
    """Play every protocol on one sim whose clock says `epoch`; its sessions by id."""
    with SimDevice(state, speed=SPEED, trace=True) as dev:
        wait_for(lambda: hello_or_none(dev.port), timeout=60)
        return _play_all(dev, epoch, protos)


def _play_all(dev, epoch, protos):
    out = {}
    with L.Link(dev.port) as lk:
        lk.hello()
        lk.put_table(compile_table(protos))
        for p in protos:
            upto = opening_ms(p)
            first = len(dev.trace_lines())
            # the clock is set again before each session (the sim's clock runs SPEED times fast)
            lk.set_clock(epoch, 0)
            lk.start(p.id)
            night_flags = _until_over(dev, lk, upto, p.name)
            lines = dev.trace_lines()[first:]
            sessions = parse(lines, stopped=upto is not None)
            assert len(sessions) == 1, p.name
            out[p.id] = sessions[0]
            assert set(night_flags) == {epoch == NIGHT}, p.name
    return out


def _until_over(dev, lk, upto, name):
    """Wait for the session's end (a rating confirmed at 0), or STOP it once
    `upto` ms of it have passed (the edge after has begun); its night flags."""
    flags = []
    stop_s = None if upto is None else math.ceil(upto / 1000) + 1
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        st = lk.status()
        flags.append(bool(st.flags & C.FLAG_NIGHT))
        if st.state_name == "rating":
            dev.inject("hold")  # confirms 0; its playback ends the rating
            wait_for(lambda: lk.status().state_name != "rating", timeout=20)
        elif st.state_name == "idle" and len(flags) > 1:
            return flags
        elif stop_s is not None and st.state_name == "playing" and st.elapsed_s >= stop_s:
            lk.stop()
            return flags
        time.sleep(0.1 if stop_s is not None else 0.5)
    pytest.fail(f"{name} did not end")


@pytest.fixture(scope="module")
def protos():
    return _library()


def day_and_night(play):
    """play(mode, epoch) for a day sim and a night sim side by side; {mode: result}.
    An error in either comes out here, in the caller's thread."""
    out: dict[str, object] = {}

    def run(mode, epoch):
        try:
            out[mode] = play(mode, epoch)
        except BaseException as e:  # noqa: BLE001  # raised below
            out[mode] = e

    threads = [threading.Thread(target=run, args=m) for m in (("day", DAY), ("night", NIGHT))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for v in out.values():
        if isinstance(v, BaseException):
            raise v
    return out


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, protos):
    shm = SHM.is_dir() and shutil.disk_usage(SHM).free > 64 << 20
    base = Path(tempfile.mkdtemp(prefix="ontspan-cues-", dir=SHM)) if shm else tmp_path_factory.mktemp("cues")
    try:
        return day_and_night(lambda mode, epoch: _record(base / mode, epoch, protos))
    finally:
        if shm:
            shutil.rmtree(base, ignore_errors=True)


def test_cues_day_and_night_on_the_sim(recorded, protos):
    phase_names = {KIND_NAMES[k] for k in PHASES}
    sigs: dict[str, set[tuple[int, ...]]] = {}
    stalled: list[str] = []
    phase_edges = 0
    for mode, sessions in recorded.items():
        night = mode == "night"
        for p in protos:
            s = sessions[p.id]
            want = [tuple(e[1:]) for e in edges(p)]
            assert [e[1:] for e in s.edges] == want[: len(s.edges)], p.name
            assert p.name not in WHOLE or len(s.edges) == len(want), p.name
            got = summarise(s)
            # phases must be lit here; the block cues' fades (rest, end) are
            # proven on the preview's exact clock (tests/test_cues_preview.py)
            lit = [e for e in got if e["kind"] in phase_names]
            assert not light_faults(lit, night=night), (p.name, mode)
            if night:
                assert all(not any(f[2::3]) for _, f in s.frames), p.name  # no blue byte at all
            if p.name not in WHOLE:
                continue
            stalled += touch_faults(got)
            phase_edges += sum(e["kind"] in phase_names for e in got)
            for k, sig in signatures(got).items():
                if k in phase_names:
                    sigs.setdefault(k, set()).add(tuple(sig))
    # every phase edge is felt, and no two kinds feel alike
    unfelt = [f for f in stalled if "motor on at None" in f or "share" in f]
    assert not unfelt and phase_edges > 0, unfelt
    assert set(sigs) == phase_names
    # one signature per kind over both protocols, day and night, and five different ones
    assert all(len(v) == 1 for v in sigs.values()), sigs
    assert len({next(iter(v)) for v in sigs.values()}) == 5


def test_night_follows_the_clock_during_a_session(make_sim, protos):
    # the clock passes 21:00 in the middle of a breathing session: from then on
    # the ring is in the night cap and has no blue, without a new session
    dev = make_sim("dusk", speed=20)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    breath = next(p for p in protos if p.name == "adem-4-7-8")
    with L.Link(dev.port) as lk:
        lk.hello()
        lk.put_table(compile_table([breath]))
        lk.set_clock(DAY + 9 * 3600 - 20, 0)  # 20:59:40 UTC, 20 s of device time before night
        lk.start(breath.id)
        assert not lk.status().flags & C.FLAG_NIGHT
        wait_for(lambda: lk.status().flags & C.FLAG_NIGHT, timeout=10)
        at_night = lk.status().elapsed_s
        wait_for(lambda: lk.status().elapsed_s >= at_night + 16, timeout=30)  # 16 s of it at night
        assert lk.status().state_name == "playing"
        lk.stop()
    frames = [bytes.fromhex(line.split()[2]) for line in dev.trace_lines() if line.startswith("F ")]
    lit = [f for f in frames if any(f)]
    switch = max(i for i, f in enumerate(lit) if any(f[2::3])) + 1  # after the last blue frame
    assert max(max(f) for f in lit[:switch]) > 24  # by day: the day cap
    night = lit[switch:]
    assert len(night) > 20
    assert all(max(f) <= 24 and not any(f[2::3]) for f in night)
    assert all(max(f) >= 3 for f in night)
