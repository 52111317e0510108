"""The editor's timeline: the device preview drawn as an SVG, day and night. A
sampled preview (fewer frames drawn) keeps every edge exact and every motor change,
so the picture's touch track is the device's own (to a frame)."""

import xml.etree.ElementTree as ET

import pytest
from ontspan.paths import PROTOCOLS_DIR
from ontspan.preview.device import play
from ontspan.preview.svg import clock, frame_ms_for, preview_svg
from ontspan.preview.trace import FRAME_MS
from ontspan.protocols.parser import load_protocol
from ontspan.protocols.timeline import duration_ms

NS = {"s": "http://www.w3.org/2000/svg"}


@pytest.fixture(scope="module")
def kort():
    proto, _ = load_protocol(PROTOCOLS_DIR / "pmr-kort.toml")
    assert proto is not None
    return proto


def test_sampled_preview_keeps_edges_and_touch_exact(kort):
    full = play(kort, night=False)
    sampled = play(kort, night=False, frame_ms=frame_ms_for(duration_ms(kort)))
    assert sampled.edges == full.edges
    # the same motor levels in the same order; a change may come up to a frame apart
    # (the full loop wakes on frames and sees a change at its next pass)
    assert [lv for _, lv in sampled.motor] == [lv for _, lv in full.motor]
    assert all(abs(a - b) <= FRAME_MS for (a, _), (b, _) in zip(sampled.motor, full.motor, strict=True))
    assert sampled.end_ms == full.end_ms
    assert len(sampled.frames) < len(full.frames) / 2


def test_timeline_svg_day_and_night(kort):
    svg = ET.fromstring(preview_svg(kort))
    total = svg.find("s:text[@class='total']", NS)
    assert total is not None and total.text == f"total {clock(duration_ms(kort))} min"
    labels = [t.text for t in svg.iterfind("s:text", NS)]
    assert "benen, schouders, gezicht" in labels and "ontspannen liggen" in labels
    for mode in ("day", "night"):
        g = svg.find(f"s:g[@class='{mode}']", NS)
        assert g is not None
        rects = g.findall("s:rect", NS)
        touch = [r for r in rects if r.get("fill") == "#c0392b"]
        light = [r for r in rects if r.get("fill") not in ("#c0392b", "#111")]
        assert len(touch) >= 17 * 2 and light  # at least a pulse per edge with a pattern
        if mode == "night":  # warm at night: the lifted colours carry no blue
            assert all(r.get("fill", "")[5:] == "00" for r in light)


def test_the_running_player_plays_what_a_fresh_one_plays(kort):
    from ontspan.preview import player

    fm = frame_ms_for(duration_ms(kort))
    fresh = play(kort, night=True, frame_ms=fm)
    for _ in range(2):  # a second table in between changes nothing
        _, night = player.played(kort, frame_ms=fm)
        assert (night.edges, night.frames, night.motor) == (fresh.edges, fresh.frames, fresh.motor)
        other, _ = load_protocol(PROTOCOLS_DIR / "adem-4-6.toml")
        assert other is not None
        player.played(other, frame_ms=fm)
    proc = player._player(True)._proc
    assert proc is not None
    proc.kill()  # gone: started again on the next request
    proc.wait()
    _, night = player.played(kort, frame_ms=fm)
    assert night.edges == fresh.edges
