"""The one-button UI on the simulated device: gestures injected at the button,
results read back over the link (docs/cues.md, 'The button and the ring')."""

import pytest
from conftest import hello_or_none, wait_for
from ontspan.device import client
from ontspan.logformat import decode
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.files import check_paths
from ontspan.shared import C

PLAYING, PAUSED, IDLE = C.STATE_PLAYING, C.STATE_PAUSED, C.STATE_IDLE


@pytest.fixture
def dev(make_sim):
    """A sim at 10x holding three protocols without ratings."""
    protos, diags = check_paths(
        [PROTOCOLS_DIR / n for n in ("pmr-kort.toml", "vertragen-8.toml", "lijf-check.toml")]
    )
    assert not [d for d in diags if d.severity == "error"]
    d = make_sim(speed=10)
    wait_for(lambda: hello_or_none(d.port))
    with client.Link(d.port) as lk:
        lk.hello()
        lk.put_table(compile_table(protos))
    return d


def _state(dev):
    with client.Link(dev.port) as lk:
        lk.hello()
        return lk.status(), lk.info()


def test_double_tap_chooses_and_the_choice_survives_a_power_cut(dev):
    first = _state(dev)[1]["selected"]
    dev.inject("double")
    chosen = wait_for(lambda: (s := _state(dev)[1]["selected"]) != first and s)
    assert chosen in _state(dev)[1]["protocols"]
    dev.kill()
    wait_for(lambda: hello_or_none(dev.port))
    assert _state(dev)[1]["selected"] == chosen


def test_tap_starts_pauses_resumes_and_hold_stops(dev):
    selected = _state(dev)[1]["selected"]
    dev.inject("tap")
    st = wait_for(lambda: (s := _state(dev)[0]).state == PLAYING and s)
    assert st.protocol == selected
    dev.inject("tap")
    wait_for(lambda: _state(dev)[0].state == PAUSED)
    st, info = _state(dev)
    paused_at, uptime = st.elapsed_s, info["clock"]["uptime_s"]
    # three whole seconds of device uptime pass: session time stands still meanwhile
    wait_for(lambda: _state(dev)[1]["clock"]["uptime_s"] >= uptime + 3)
    st = _state(dev)[0]
    assert (st.state, st.elapsed_s) == (PAUSED, paused_at)
    dev.inject("tap")
    wait_for(lambda: _state(dev)[0].state == PLAYING)
    dev.inject("hold")
    st = wait_for(lambda: (s := _state(dev)[0]).state == IDLE and s)
    assert st.log_count == 2  # START and END (stopped by the user) are on the flash
    with client.Link(dev.port) as lk:
        lk.hello()
        recs = [decode(r) for r in lk.get_logs(1, 16)]
    assert [r.outcome for r in recs][-1] == 2  # stopped by the user


@pytest.fixture
def two_busy_loops():
    """Two spinning processes beside the test: a loaded 2-core machine."""
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    yield
    for p in procs:
        p.kill()
        p.wait()


def test_200_taps_at_120x_beside_two_busy_loops_are_200_taps(make_sim, two_busy_loops):
    # A sim without protocols: each tap only blinks, so the taps never change mode.
    d = make_sim("taps", speed=120)
    wait_for(lambda: hello_or_none(d.port))
    up0 = _state(d)[1]["clock"]["uptime_s"]
    for _ in range(200):
        d.inject("tap")

    def gestures():
        return [ln.split()[2] for ln in d.trace_lines() if ln.startswith("G ")]

    # 200 taps and their blinks are under 250 s of device time: by 400 s all are seen
    # (a gesture paces the clock, so they take longer in real time than 400 / 120 s)
    wait_for(lambda: len(gestures()) >= 200 or _state(d)[1]["clock"]["uptime_s"] > up0 + 400,
             timeout=600)
    assert sum(ln.startswith("B ") for ln in d.trace_lines()) == 200
    seen = gestures()
    assert seen == ["1"] * 200, f"{len(seen)} gestures, not 200 taps: {sorted(set(seen))}"
