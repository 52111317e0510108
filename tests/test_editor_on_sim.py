"""A protocol built in the editor, felt and played on the simulated device: start
from pmr-kort, drop a group, tense 5 s and feel 25 s, add a 4-6 breathing block
with a ramp from 8 to 6 per minute, feel tense and out (the sim's motor trace
shows those two patterns), save, load it onto a sim and play it on exact device
time: the sim's session is the device preview's, edge by edge (the exact-time
comparison of tests/test_cues_exact_sim.py), and the editor's sampled timeline
has the very same edges."""

import re

from appclient import make_app, post, signed_in, text
from conftest import hello_or_none, wait_for
from ontspan.archive.protocol_files import protocols_dir
from ontspan.preview.device import play
from ontspan.preview.player import played
from ontspan.preview.svg import frame_ms_for
from ontspan.preview.trace import differences
from ontspan.protocols.haptics import BUILTIN
from ontspan.protocols.parser import load_protocol
from ontspan.protocols.timeline import duration_ms
from test_cues_exact_sim import MS, _play_exact
from test_cues_sim import DAY


def _pulses(lines: list[str]) -> list[int]:
    """The motor's on-times (ms) in M trace lines."""
    out, on_at = [], None
    for line in lines:
        parts = line.split()
        if parts[0] != "M":
            continue
        t, on = int(parts[1]), int(parts[2]) > 0 and int(parts[3]) > 0
        if on and on_at is None:
            on_at = t
        elif not on and on_at is not None:
            out.append(t - on_at)
            on_at = None
    return out


def _felt(pattern) -> list[int]:
    """A pattern's pulses (neighbouring on segments make one)."""
    out, run = [], 0
    for level, ms in pattern:
        if level:
            run += ms
        elif run:
            out.append(run)
            run = 0
    return out + ([run] if run else [])


def _feel(c, did, dev, cue):
    before = len(dev.trace_lines())
    r = text(post(c, f"/editor/{did}/feel", {"cue": cue}))
    assert re.search(rf"{cue}: \d+ ms", r), r
    want = _felt(BUILTIN[cue])
    lines = wait_for(lambda: (lambda ls: ls if len(_pulses(ls)) >= len(want) else None)(
        dev.trace_lines()[before:]), timeout=20)  # fmt: skip
    got = _pulses(lines)
    assert len(got) == len(want) and all(abs(a - b) <= 20 for a, b in zip(got, want, strict=True)), (cue, got, want)


def test_built_in_the_editor_felt_and_played_as_previewed(make_sim, tmp_path):
    dev = make_sim("feel", speed=1, trace=True)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    app = make_app(tmp_path, DEVICE_PORT=dev.port)
    c = signed_in(app)
    r = post(c, "/patients/", {"name": "Anna"}, htmx=False)
    pid = int(r.headers["Location"].rstrip("/").split("/")[-1])
    r = post(c, f"/editor/patient/{pid}/open", {"from": "pmr-kort", "name": "anna-kort"}, htmx=False)
    did = r.headers["Location"].split("/editor/")[1]

    def edit(route, **data):
        r = post(c, f"/editor/{did}/{route}", data)
        assert r.status_code == 200 and 'class="result error"' not in r.get_data(as_text=True), text(r)

    edit("remove", key="block[0].groups[0]")
    edit("set", key="block[0].tense_s", value="5")
    edit("set", key="block[0].feel_s", value="25")
    edit("add-block", type="breath")
    edit("move", key="block[2]", to="1")
    edit("breath", block="block[1]", notation="4-6")
    edit("set", key="block[1].minutes", value="4")
    edit("ramp", block="block[1]")
    edit("set", key="block[1].ramp.from_bpm", value="8")
    edit("set", key="block[1].ramp.minutes", value="4")
    edit("set", key="style.haptic.preset", value="duidelijk")  # the breathing felt too
    _feel(c, did, dev, "tense")
    _feel(c, did, dev, "out")
    assert "saved as anna-kort.toml" in text(post(c, f"/editor/{did}/save"))

    proto, diags = load_protocol(protocols_dir(app.config["ARCHIVE"], pid) / "anna-kort.toml")
    assert proto is not None and not diags
    [s] = _play_exact(tmp_path / "exact", DAY, [proto])[proto.name]
    want = play(proto, night=False)
    assert [e[1:] for e in s.edges] == [e[1:] for e in want.edges]
    assert differences(s, want, late_ms=MS, early_ms=MS) == []
    day, _ = played(proto, frame_ms=frame_ms_for(duration_ms(proto)))
    assert day.edges == want.edges  # what the editor drew
