"""Rating with eyes closed on the simulated device: after a session the scale's
opening is felt, each tap as one pulse, the confirming hold as "taken" (long,
short), and the value is played back as that many taps before it is logged."""

from conftest import hello_or_none, wait_for
from ontspan.device import client as L
from ontspan.logformat import decode
from ontspan.preview.trace import PERIOD
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.parser import load_protocol

SHORT = """
id = 40
name = "kort-cijfer"
title = "Kort, met een cijfer"
rating = "after"

[[block]]
type = "check"
prompt = "jaw"
seconds = 3
"""


def test_rating_steps_and_value_are_felt(make_sim, tmp_path):
    path = tmp_path / "kort.toml"
    path.write_text(SHORT)
    proto, _ = load_protocol(path)
    assert proto is not None
    dev = make_sim(speed=10)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    with L.Link(dev.port) as lk:
        lk.hello()
        lk.put_table(compile_table([proto]))
        lk.start(proto.id)
        wait_for(lambda: lk.status().state_name == "rating", timeout=20)
        for _ in range(3):
            dev.inject("tap")
        dev.inject("hold")
        wait_for(lambda: lk.status().state_name == "idle", timeout=30)
        rec = decode(lk.get_logs(1, 16)[-1])
    assert rec.after == 3
    lines = [ln.split() for ln in dev.trace_lines()]
    end = next(int(p[1]) for p in lines if p[0] == "E" and p[2] == "10")
    ons, level = [], 0
    for p in lines:
        if p[0] == "M":
            t, lv = int(p[1]), int(p[2])
            if lv and not level and 2500 < (t - end) % PERIOD < PERIOD // 2:  # END felt by 1.5 s
                ons.append([t, 0])
            elif level and not lv and ons:
                ons[-1][1] = (t - ons[-1][0]) % PERIOD
            level = lv
    # the opening (long, short, short; cut short by the first tap), three steps up,
    # "taken" (long, short), then "3" played back; long is 400 ms or more, short 120 (100
    # or 120 ms); at 10x on a busy machine an edge is traced a loop pass or two late, so
    # a pulse reads up to some tens of ms long or short: the two stay far apart
    felt = ["-" if ms >= 350 else "." if ms < 300 else "?" for _, ms in ons]
    assert "".join(felt[-8:]) == "...-....", felt
    assert felt[0] == "-", ons  # the scale's opening begins with its long pulse
