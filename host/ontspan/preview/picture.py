"""`ontspan preview -o FILE.png|.svg`: the picture of what the device gives, drawn
from the device preview (the firmware's own engine, light, touch and pixels
under MicroPython): the ring over time (each LED a row, in its LED bytes'
colour, lifted so a night frame can be seen on a screen), the brightest LED byte
as a line, and the motor track under it. Labels are placed so they never
overlap: one that finds no free row is left out (the JSON lists every edge).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..protocols.model import Protocol
from ..protocols.timeline import KIND_NAMES, POSITION
from .device import play
from .trace import Session

COLUMNS = 1600  # time samples across the picture
LABEL_ROWS = 3
ROW = 1.35  # a label row, in font sizes
BLOCK_PT = 8  # block labels over the light track
GROUP_PT = 6.5  # group names between the light and the motor track


def _ring_image(s: Session, n_leds: int) -> tuple[Any, int]:
    """(columns x LEDs x RGB array in 0..1, brightest byte) sampled over the session."""
    import numpy as np

    img = np.zeros((n_leds, COLUMNS, 3))
    top = max((max(f) for _, f in s.frames), default=0) or 1
    i = 0
    cur = bytes(3 * n_leds)
    for c in range(COLUMNS):
        t = s.end_ms * c / COLUMNS
        while i < len(s.frames) and s.frames[i][0] <= t:
            cur = s.frames[i][1]
            i += 1
        for led in range(n_leds):
            rgb = cur[3 * led : 3 * led + 3]
            img[led, c] = [v / top for v in rgb]
    return img, top


def _steps(points: list[tuple[int, int]], end: int) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    level = 0
    for t, v in points:
        xs += [t / 60000, t / 60000]
        ys += [level, v]
        level = v
    xs.append(end / 60000)
    ys.append(level)
    return xs, ys


def _place(ax: Any, fig: Any, items: list[tuple[float, str]], size: float) -> list[Any]:
    """Put each (x, text) above `ax` in the first of LABEL_ROWS rows where it
    overlaps nothing; else leave it out. Rows are offset in points, so the
    band they need (LABEL_ROWS * row) is the same whatever the figure's size.
    The texts placed."""
    renderer = fig.canvas.get_renderer()
    right = ax.get_window_extent(renderer).x1
    rows: list[list[Any]] = [[] for _ in range(LABEL_ROWS)]
    placed = []
    for x, text in items:
        for r in range(LABEL_ROWS):
            t = ax.annotate(text, (x, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(1, 2 + r * size * ROW), textcoords="offset points",
                            fontsize=size, va="bottom", ha="left", annotation_clip=False)
            box = t.get_window_extent(renderer).expanded(1.05, 1.0)
            if box.x1 <= right + 40 and not any(box.overlaps(b) for b in rows[r]):
                rows[r].append(box)
                placed.append(t)
                break
            t.remove()
    return placed


def draw(proto: Protocol, out: Path, *, night: bool, names: list[tuple[str, list[str]]]) -> None:
    import matplotlib.pyplot as plt

    fig, _ = figure(proto, night=night, names=names)
    fig.savefig(out)
    plt.close(fig)


def figure(proto: Protocol, *, night: bool, names: list[tuple[str, list[str]]]) -> tuple[Any, list[Any]]:
    """The picture as a matplotlib figure, and the labels placed on it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = play(proto, night=night)
    n_leds = len(s.frames[0][1]) // 3 if s.frames else 12
    img, top = _ring_image(s, n_leds)
    minutes = s.end_ms / 60000
    height = 5.2  # inches
    fig, (ax_l, ax_m) = plt.subplots(
        2, 1, figsize=(13, height), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]}
    )
    # the gap between the tracks holds the group names' rows (in points, 72 an inch)
    above, below = 0.80, 0.11
    band = (LABEL_ROWS * ROW * GROUP_PT + 4) / 72 / height  # figure fraction
    mean_axes = (above - below - band) / 2
    fig.subplots_adjust(left=0.07, right=0.93, top=above, bottom=below, hspace=band / mean_axes)
    ax_l.imshow(img, aspect="auto", extent=(0, minutes, n_leds, 0), interpolation="nearest")
    ax_l.set_facecolor("black")
    ax_l.set_ylabel("ring LED")
    ax_b = ax_l.twinx()
    peaks = [(t, max(f)) for t, f in s.frames]
    ax_b.plot(*_steps(peaks, s.end_ms), color="#ffffff", linewidth=0.6, alpha=0.8)
    ax_b.set_ylim(0, top * 1.15)
    ax_b.set_ylabel("brightest LED byte")
    ax_m.plot(*_steps(s.motor, s.end_ms), color="#333333", linewidth=0.7)
    ax_m.set_ylim(0, 255)
    ax_m.set_ylabel("motor")
    ax_m.set_xlabel("minutes")
    ax_m.set_xlim(0, minutes)

    blocks: list[tuple[float, str]] = []
    groups: list[tuple[float, str]] = []
    last = None
    for t, kind, block, group in s.edges:
        x = t / 60000
        if block != last and block < len(names):
            last = block
            ax_l.axvline(x, color="#888888", linewidth=0.5)
            blocks.append((x, names[block][0]))
        if kind == POSITION and block < len(names) and group < len(names[block][1]):
            groups.append((x, names[block][1][group]))
    placed = _place(ax_l, fig, blocks, BLOCK_PT) + _place(ax_m, fig, groups, GROUP_PT)
    mins, secs = divmod(round(s.end_ms / 1000), 60)
    mode = "night" if night else "day"
    kinds = sorted({KIND_NAMES[k] for _, k, _, _ in s.edges})
    fig.suptitle(
        f"{proto.title} ({proto.name}, id {proto.id}): {mins}:{secs:02d} min, {mode}; "
        f"as the firmware plays it (colours lifted x{255 / top:.1f} for the screen)\n"
        f"cues: {', '.join(kinds)}",
        fontsize=9,
    )
    return fig, placed


_PYPLOT = threading.Lock()  # pyplot keeps global state: one picture at a time


def png(proto: Protocol, *, night: bool, names: list[tuple[str, list[str]]]) -> bytes:
    """The picture as PNG bytes (the app's Library page shows it)."""
    import io

    import matplotlib.pyplot as plt

    with _PYPLOT:
        fig, _ = figure(proto, night=night, names=names)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()
