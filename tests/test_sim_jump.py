"""A jump on the sim is time passing, not a clock change: the ticks wrap as the
Pico's do, uptime and the wall clock the host set move on by the jump, and a
session played inside a jump is the device preview's session (same edges, none
late, the same light and touch), since both run the firmware on exact device time."""

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.device import client
from ontspan.paths import PROTOCOLS_DIR
from ontspan.preview.device import play
from ontspan.preview.trace import parse, summarise
from ontspan.protocols.parser import load_protocol
from ontspan.shared import C

PERIOD = 1 << 30
NOON = 1_796_000_000 - 1_796_000_000 % 86400 + 12 * 3600  # 12:00 UTC


@pytest.fixture(autouse=True)
def _no_port_env(monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)


def test_a_session_inside_a_jump_plays_as_the_preview(make_sim):
    path = PROTOCOLS_DIR / "adem-4-6.toml"
    proto, _ = load_protocol(path)
    assert proto is not None
    dev = make_sim("pico", speed=1)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    assert main(["flash", "--port", dev.port, str(path)]) == 0

    def ask(fn):
        with client.Link(dev.port) as lk:
            lk.hello()
            return fn(lk)

    # noon, not this computer's time: a session across 07:00 would change from night to day
    ask(lambda lk: lk.set_clock(NOON, 0))
    dev.jump(10)  # the room's day/night decision settles before the session
    dev.jump(10)
    before = ask(lambda lk: (lk.get_clock().epoch, lk.info()["clock"]["uptime_s"]))
    night = ask(lambda lk: bool(lk.status().flags & C.FLAG_NIGHT))
    assert not night
    assert main(["start", "adem-4-6", "--port", dev.port]) == 0
    span = 20 * 86400  # past the 2^30 ms tick wrap, twice the ticks_diff range
    dev.jump(span)
    after = ask(lambda lk: (lk.get_clock().epoch, lk.info()["clock"]["uptime_s"],
                            lk.status().state_name))
    assert after[2] == "idle"  # the session and its rating's time-out lived through
    for was, now in zip(before, after[:2], strict=False):
        assert span <= now - was < span + 60  # the jump, plus this 1x machine's own seconds
    trace = dev.trace_lines()
    ms = [int(t.split()[1]) for t in trace if t[0] in "EFM"]
    assert any(b < a for a, b in zip(ms, ms[1:], strict=False))  # the raw ticks wrapped
    [s] = parse(trace)
    want = play(proto, night=night)
    assert s.edges == want.edges
    late = [int(t.split()[5]) for t in trace if t.startswith("E ")]
    assert len(late) == len(s.edges) and not any(late), "an edge handled late inside a jump"
    # the session began at 1x before the jump: its first ms may fall a frame apart
    def felt(edges):
        return [(e["kind"], e["light"]["peak"], e["light"]["lowest_lit"], e["light"]["last"],
                 e["light"]["blue"], e["motor"]["signature"],
                 [(on, level) for _, on, level in e["motor"]["pulses"]]) for e in edges]

    got, ref = summarise(s), summarise(want)
    assert felt(got) == felt(ref)
    starts = [(p[0], q[0]) for a, b in zip(got, ref, strict=True)
              for p, q in zip(a["motor"]["pulses"], b["motor"]["pulses"], strict=True)]
    assert all(abs(a - b) <= 20 for a, b in starts), starts
