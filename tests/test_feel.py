"""`ontspan feel`: one cue on the simulated device's motor now; a --strength is
kept in the device's config and used by every session after it."""

import pytest
from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.preview.trace import PERIOD

SPEED = 5


@pytest.fixture
def sim(make_sim, monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)
    dev = make_sim(speed=SPEED)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    return dev


def _pulses(dev, since):
    """(on ms, level) of the motor pulses in the trace after line `since`."""
    out, on_at, level = [], None, 0
    for line in dev.trace_lines()[since:]:
        parts = line.split()
        if parts[0] != "M":
            continue
        t, lv = int(parts[1]), int(parts[2])
        if lv and on_at is None:
            on_at, level = t, lv
        elif not lv and on_at is not None:
            out.append(((t - on_at) % PERIOD, level))
            on_at = None
    return out


def _short_short_long(pulses) -> bool:
    """The tense cue as felt: three pulses, the last the long one. The same touch code's
    pulses are proven to the ms on exact device time (test_cues_exact_sim.py); here the
    sim runs on a scaled wall clock, where a loop pass late on a busy machine moves edges."""
    ms = [m for m, _ in pulses]
    return len(ms) == 3 and ms[2] > max(ms[:2])


def test_feel_plays_one_cue_and_keeps_the_strength(sim, capsys):
    p = sim.port
    n = len(sim.trace_lines())
    assert main(["feel", "tense", "--strength", "90", "--port", p]) == 0
    assert "kept on the device" in capsys.readouterr().out
    got = wait_for(lambda: len(_pulses(sim, n)) >= 3 and _pulses(sim, n), timeout=10)
    assert [lv for _, lv in got] == [min(90, 200)] * 3  # strength 90, clipped at the motor cap 200
    assert _short_short_long(got), got
    assert main(["config", "get", "--json", "--port", p]) == 0
    assert '"touch_strength": 90' in capsys.readouterr().out

    n = len(sim.trace_lines())
    assert main(["feel", "rating", "--count", "3", "--port", p]) == 0
    assert "strength 90" in capsys.readouterr().out
    taps = wait_for(lambda: len(_pulses(sim, n)) >= 3 and _pulses(sim, n), timeout=10)
    # the value played back as taps, three and no more: the next cue's pulses follow them
    assert main(["feel", "tense", "--port", p]) == 0
    got = wait_for(lambda: len(_pulses(sim, n)) >= 6 and _pulses(sim, n), timeout=10)
    assert got[:3] == taps[:3]
    assert _short_short_long(got[3:6]), got  # a fourth tap would be here


def test_feel_refuses_bad_input(sim, capsys):
    p = sim.port
    assert main(["feel", "wiggle", "--port", p]) == 2
    assert "unknown cue" in capsys.readouterr().err
    assert main(["feel", "position", "--count", "7", "--port", p]) == 2
    assert main(["feel", "in", "--strength", "300", "--port", p]) == 2
    assert main(["feel", "in", "--protocol", "no-such", "--port", p]) == 2


OWN = """id = 40
name = "eigen"
title = "Eigen patronen"

[style.haptic]
preset = "duidelijk"
hold = [[255, 700], [0, 200], [255, 200]]
end = "uit"

[[block]]
type = "breath"
in_s = 4
hold_s = 4
out_s = 6
cycles = 2
"""


def test_feel_plays_the_protocols_own_pattern(sim, capsys, tmp_path):
    p = sim.port
    own = tmp_path / "eigen.toml"
    own.write_text(OWN)
    assert main(["flash", str(own), "--port", p]) == 0
    capsys.readouterr()
    n = len(sim.trace_lines())
    assert main(["feel", "hold", "--protocol", str(own), "--strength", "150", "--port", p]) == 0
    assert "1100 ms" in capsys.readouterr().out
    got = wait_for(lambda: len(_pulses(sim, n)) >= 2 and _pulses(sim, n), timeout=10)
    assert [round(ms / 100) for ms, _ in got] == [7, 2]  # the file's hold, not the built-in 500 ms

    assert main(["feel", "end", "--protocol", str(own), "--port", p]) == 0
    assert "not felt" in capsys.readouterr().out
    # the device's table no longer matches the file: said, not played
    own.write_text(OWN.replace("[255, 700]", "[255, 800]"))
    assert main(["feel", "hold", "--protocol", str(own), "--port", p]) == 2
    assert "ontspan flash" in capsys.readouterr().err
