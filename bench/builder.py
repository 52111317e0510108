"""The protocol editor: how long the preview takes to follow one edit. Per
protocol, one value changed through the draft (a tense or a breathing phase),
then what the editor does before it can show the change: the checker on the
edited text, the day and the night played by the firmware's own cue code under
MicroPython (sampled frames, exact edges and touch; the two MicroPythons kept
running, preview/player.py, both at once) and the SVG drawn. Goal: 100 ms for the library's longest protocols."""

import statistics
import time

from ontspan.paths import PROTOCOLS_DIR
from ontspan.preview.player import played
from ontspan.preview.svg import frame_ms_for, timeline_svg
from ontspan.protocols.editing import Draft
from ontspan.protocols.timeline import duration_ms

from .common import metric

GOAL_MS = 100
# protocol -> (field, two values to alternate: every run is a real change)
EDITS = {
    "pmr-17": ("block[0].tense_s", ("5", "6")),
    "vertragen-20": ("block[0].out_s", ("7", "6")),
}


def one_update(draft: Draft, key: str, value: str) -> dict[str, float]:
    t0 = time.perf_counter()
    draft.set(key, value)
    proto, _ = draft.check()
    assert proto is not None
    t1 = time.perf_counter()
    day, night = played(proto, frame_ms=frame_ms_for(duration_ms(proto)))
    t2 = time.perf_counter()
    svg = timeline_svg(proto, day, night)
    t3 = time.perf_counter()
    assert svg.startswith("<svg")
    return {"check": (t1 - t0) * 1000, "play": (t2 - t1) * 1000, "svg": (t3 - t2) * 1000,
            "total": (t3 - t0) * 1000}  # fmt: skip


def run(quick: bool = False) -> list[dict]:
    out = []
    repeats = 1 if quick else 9
    for name, (key, values) in EDITS.items():
        draft = Draft.load(PROTOCOLS_DIR / f"{name}.toml")
        runs = [one_update(draft, key, values[i % 2]) for i in range(repeats)]
        total = statistics.median(r["total"] for r in runs)
        out.append(metric(f"{name}: preview after one edit, median", round(total, 1), "ms",
                          f"< {GOAL_MS}", total < GOAL_MS))  # fmt: skip
        out.append(metric(f"{name}: preview after one edit, slowest", round(max(r["total"] for r in runs), 1), "ms"))
        for part in ("check", "play", "svg"):
            med = statistics.median(r[part] for r in runs)
            out.append(metric(f"{name}: of which {part}", round(med, 1), "ms"))
    return out
