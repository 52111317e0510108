"""Every standard protocol, day and night, as the firmware plays it (the device
preview: engine, light, touch and pixels under MicroPython on a virtual clock,
exact device time): lit phases visible at night without blue, in brightens and
out dims, tense fills, release fades; every phase edge felt at once, five
rhythms, pulses and gaps long enough for an ERM coin motor to render."""

import pytest
from ontspan.paths import PROTOCOLS_DIR
from ontspan.preview.device import play
from ontspan.preview.trace import PHASES, light_faults, signatures, summarise, touch_faults
from ontspan.protocols.files import check_paths
from ontspan.protocols.timeline import KIND_NAMES, edges

PROTOS = sorted(check_paths([PROTOCOLS_DIR])[0], key=lambda p: p.id)
MIN_PULSE_MS = 80
MIN_GAP_MS = 100


@pytest.fixture(scope="module")
def played():
    return {(p.name, night): play(p, night=night) for p in PROTOS for night in (False, True)}


@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
@pytest.mark.parametrize("name", [p.name for p in PROTOS])
def test_light_and_touch(played, name, night):
    proto = next(p for p in PROTOS if p.name == name)
    s = played[(name, night)]
    assert [e[:2] for e in s.edges] == [tuple(e[:2]) for e in edges(proto)]
    got = summarise(s)
    assert not light_faults(got, night=night)
    assert not touch_faults(got)
    for e in got:
        pulses = e["motor"]["pulses"]
        if e["kind"] in {KIND_NAMES[k] for k in PHASES}:
            assert e["motor"]["first_on_ms"] == 0, e  # felt in the same tick as the edge
        for _, on_ms, _ in pulses:
            assert on_ms >= MIN_PULSE_MS, e
        for (a, d, _), (b, _, _) in zip(pulses, pulses[1:], strict=False):
            assert b - (a + d) >= MIN_GAP_MS, e
    if night:
        assert all(not any(f[2::3]) for _, f in s.frames)
        assert max(max(f) for _, f in s.frames) <= 24  # the night cap is the brightest byte


def test_five_rhythms_everywhere(played):
    sigs: dict[str, set[tuple[int, ...]]] = {}
    for s in played.values():
        for kind, sig in signatures(summarise(s)).items():
            sigs.setdefault(kind, set()).add(tuple(sig))
    phases = {KIND_NAMES[k] for k in PHASES}
    assert phases <= set(sigs)
    assert all(len(sigs[k]) == 1 for k in phases), sigs
    assert len({next(iter(sigs[k])) for k in phases}) == 5
    # the count of taps says where in the body: pmr-17 taps 1 (legs) .. 4 (face)
    s = played[("pmr-17", True)]
    taps = [len(e["motor"]["pulses"]) for e in summarise(s) if e["kind"] == "POSITION"]
    assert taps == [1] * 6 + [2, 2] + [3] * 4 + [2] + [4] * 4


def test_gentle_by_default(played):
    # a gentle device is mostly still: under 10 % of a session's time on
    from ontspan.preview.trace import motor_on_ms

    for (name, _), s in played.items():
        assert motor_on_ms(s) * 10 < s.end_ms, name


def test_differences_catch_what_a_patient_would_notice(played):
    # cue_trace.differences is what holds the sim to the preview: it must pass
    # the preview against itself and a transition up to late_ms late, and catch
    # the RELEASE pulse 300 ms too long that a stalled sim once wrote
    from dataclasses import replace

    from ontspan.preview.trace import differences

    s = played[("pmr-kort", False)]
    assert not differences(s, s, late_ms=60)
    t_rel = next(t for t, k, _, _ in s.edges if KIND_NAMES[k] == "RELEASE")
    off = next(i for i, (t, lv) in enumerate(s.motor) if t > t_rel and lv == 0)

    def moved(i, ms):
        m = list(s.motor)
        m[i] = (m[i][0] + ms, m[i][1])
        return replace(s, motor=m)

    assert not differences(moved(off, 59), s, late_ms=60)
    assert [d for d in differences(moved(off, 300), s, late_ms=60) if d.startswith(f"RELEASE at {t_rel}")]
    assert differences(moved(off, -10), s, late_ms=60)  # never earlier than the device
    on = next(i for i, (t, lv) in enumerate(s.motor) if t >= t_rel and lv)
    louder = list(s.motor)
    louder[on] = (louder[on][0], louder[on][1] + 20)
    assert differences(replace(s, motor=louder), s, late_ms=60)
    # light: a frame brighter than the preview's on a steady ring (hold), or an edge begun early
    b = played[("adem-4-7-8", False)]
    t_hold = next(t for t, k, _, _ in b.edges if KIND_NAMES[k] == "HOLD")
    frames = list(b.frames)
    i = max(j for j, (t, _) in enumerate(frames) if t <= t_hold)
    frames.insert(i + 1, (t_hold + 1000, bytes(min(255, v + 9) for v in frames[i][1])))
    assert [d for d in differences(replace(b, frames=frames), b, late_ms=60) if "HOLD" in d]
    early = [(t - 5 if KIND_NAMES[k] == "HOLD" else t, k, bl, g) for t, k, bl, g in b.edges]
    assert differences(replace(b, edges=early), b, late_ms=60)


@pytest.mark.parametrize("name", ["pmr-17", "pmr-kort", "adem-4-7-8"])
def test_picture_labels_never_overlap(name):
    # the motor track under the light track; block labels and group names
    # overlap neither each other nor either track; pmr-17's 17 groups all fit
    import matplotlib.pyplot as plt
    from ontspan.preview.picture import figure
    from ontspan.preview.terminal import block_names

    proto = next(p for p in PROTOS if p.name == name)
    names = block_names(proto)
    fig, labels = figure(proto, night=True, names=names)
    try:
        r = fig.canvas.get_renderer()
        ax_light, ax_motor = fig.axes[0], fig.axes[1]
        light, motor = ax_light.get_window_extent(r), ax_motor.get_window_extent(r)
        assert motor.y1 < light.y0  # under it
        boxes = [t.get_window_extent(r) for t in labels]
        for i, b in enumerate(boxes):
            assert not b.overlaps(light) and not b.overlaps(motor), labels[i].get_text()
            assert not any(b.overlaps(c) for c in boxes[i + 1 :]), labels[i].get_text()
        texts = {t.get_text() for t in labels}
        groups = [g for _, gs in names for g in gs]
        assert {label for label, _ in names} <= texts
        assert set(groups) <= texts, set(groups) - texts
    finally:
        plt.close(fig)
