"""`ontspan preview FILE --terminal`: the protocol played in the terminal by the real
firmware engine under MicroPython, at high speed: every cue in timeline order,
truecolour ring cells, a motor bar, exit 0 at the end."""

import re
import subprocess
import sys

import pytest
from ontspan.errors import InputError
from ontspan.preview import terminal as terminal_preview
from ontspan.protocols.parser import load_protocol
from ontspan.protocols.timeline import KIND_NAMES, edges

TINY = """
id = 3
name = "klein"
title = "Klein"

[[block]]
type = "pmr"
tense_s = 1
feel_s = 5
reps = 2
groups = ["a", { name = "kaken" }]

[[block]]
type = "breath"
in_s = 1
hold_s = 0.5
out_s = 1
pause_s = 0.5
cycles = 2

[[block]]
type = "check"
prompt = "jaw"
seconds = 3
"""

CELL = re.compile(r"\x1b\[38;2;(\d+);(\d+);(\d+)m\u25cf")
CUE = re.compile(r"\d+:\d\d  (.+?)(?=\r|\n|$)")


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "klein.toml"
    path.write_text(TINY)
    return path


def expected_cues(path) -> list[str]:
    proto, _ = load_protocol(path)
    assert proto is not None
    names = {0: ("pmr", ["rechter voet", "kaken"]), 1: ("breath", []), 2: ("check", ["jaw"])}
    out = []
    for e in edges(proto):
        text = KIND_NAMES[e.kind]
        if e.block in names:
            label, groups = names[e.block]
            if groups:
                text += "  " + groups[e.group if e.group != 255 else 0]
            text += f"  ({label})"
        out.append(text)
    return out


def cue_sequence(out: str) -> list[str]:
    seq: list[str] = []
    for cue in CUE.findall(out):
        if not seq or seq[-1] != cue:
            seq.append(cue)
    return seq


def test_cli_plays_every_cue_through_the_firmware_and_ends(tiny):
    proc = subprocess.run(
        [sys.executable, "-m", "ontspan.cli.main", "preview", str(tiny), "--terminal", "--speed", "100"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # each cue edge is drawn once at least, in the order of the host timeline
    assert cue_sequence(out) == [*expected_cues(tiny), "done"]
    cells = [tuple(map(int, c)) for c in CELL.findall(out)]
    assert len(cells) % 12 == 0 and len(cells) >= 12 * len(expected_cues(tiny))
    lit = {c for c in cells if any(c)}
    assert len(lit) >= 3  # several colours and levels, not one static frame
    assert re.search(r"motor \[#+ *\]", out)  # the taps at tense / pulse at release
    assert out.endswith("done\n")


def test_play_returns_zero_and_night_has_no_blue(tiny, capfd):
    assert terminal_preview.play(tiny, speed=400, night=True) == 0
    out = capfd.readouterr().out
    cells = [tuple(map(int, c)) for c in CELL.findall(out)]
    assert any(r or g for r, g, _ in cells)
    assert all(b == 0 for _, _, b in cells)  # night colours never carry blue
    assert "TENSE  rechter voet  (pmr)" in out and "CHECK  jaw  (check)" in out


def test_bad_protocol_or_speed_is_a_clear_error(tmp_path, tiny):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace("tense_s = 1", "tense_s = 12"))
    with pytest.raises(InputError, match="has errors"):
        terminal_preview.play(bad)
    with pytest.raises(InputError, match="speed"):
        terminal_preview.play(tiny, speed=0)
