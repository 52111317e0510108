"""The timeline of light and touch as an SVG, day and night, with the total time:
drawn from the device preview (the firmware's own engine, light, touch and
motor model under MicroPython, preview/device.py), as the protocol editor shows
it beside the form. Small and text-only, so a page can swap it in on each edit.

Per mode two tracks: the light (each moment's brightest LED in its colour,
lifted so a night frame can be seen on a screen, its height the brightness) and
the touch (each motor pulse, its height the level). Blocks are bands with their
labels; a tick every few minutes.
"""

from __future__ import annotations

from html import escape

from ..protocols.model import Protocol, iter_blocks
from ..protocols.timeline import duration_ms
from .player import played
from .trace import Session

WIDTH = 960  # px of the time axis
LEFT = 56  # px for the track names
LIGHT_H = 44
TOUCH_H = 18
MODE_GAP = 26
TOP = 34  # block labels and the total time above the tracks


def frame_ms_for(total_ms: int) -> int:
    """Frames to draw for a picture WIDTH px wide: one per pixel (a column shows the
    frame of its moment), at least the device's own 16 ms."""
    return max(16, total_ms // WIDTH)


def preview_svg(proto: Protocol) -> str:
    """Play `proto` day and night on the device preview (kept running: player.py)
    and draw it."""
    day, night = played(proto, frame_ms=frame_ms_for(duration_ms(proto)))
    return timeline_svg(proto, day, night)


def clock(ms: int) -> str:
    s = round(ms / 1000)
    return f"{s // 60}:{s % 60:02d}"


def timeline_svg(proto: Protocol, day: Session, night: Session) -> str:
    total = max(day.end_ms, night.end_ms, 1)
    scale = WIDTH / total
    height = TOP + 2 * (LIGHT_H + TOUCH_H) + MODE_GAP + 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {LEFT + WIDTH + 8} '
        f'{height}" width="{LEFT + WIDTH + 8}" height="{height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(proto.name)}: {clock(total)} min</title>",
        f'<text x="{LEFT + WIDTH}" y="12" text-anchor="end" class="total">'
        f"total {clock(total)} min</text>",
    ]
    out += _blocks(proto, day, scale, height)
    y = TOP
    for name, s in (("day", day), ("night", night)):
        out.append(f'<g class="{name}">')
        out.append(f'<text x="4" y="{y + LIGHT_H / 2 + 4}">{name}</text>')
        out.append(f'<rect x="{LEFT}" y="{y}" width="{WIDTH}" height="{LIGHT_H}" fill="#111"/>')
        out += _light(s, scale, y)
        y += LIGHT_H
        out.append(f'<text x="4" y="{y + TOUCH_H - 5}" fill="#555">touch</text>')
        out += _touch(s, scale, y)
        y += TOUCH_H + MODE_GAP
        out.append("</g>")
    out += _ticks(total, scale, y - MODE_GAP + 4)
    out.append("</svg>")
    return "\n".join(out)


def _blocks(proto: Protocol, s: Session, scale: float, height: int) -> list[str]:
    """A band per block (its label on top) from the block's first edge to the next's."""
    labels = [getattr(b, "label", "") for b in iter_blocks(proto.blocks)]
    starts: list[tuple[int, int]] = []
    for t, _kind, block, _group in s.edges:
        if block < len(labels) and (not starts or starts[-1][1] != block):
            starts.append((t, block))
    out = []
    for i, (t, block) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else s.end_ms
        x, w = LEFT + t * scale, max(1.0, (end - t) * scale)
        shade = "#f4f4f4" if i % 2 == 0 else "#e8e8e8"
        out.append(
            f'<rect x="{x:.1f}" y="16" width="{w:.1f}" height="{height - 36}" fill="{shade}">'
            f"<title>{escape(labels[block])}: {clock(t)} to {clock(end)}</title></rect>"
        )
        if w > 40:
            out.append(f'<text x="{x + 3:.1f}" y="28" font-size="10">'
                       f"{escape(_fit(labels[block], w))}</text>")  # fmt: skip
    return out


def _fit(text: str, width_px: float) -> str:
    n = max(1, int(width_px / 6))
    return text if len(text) <= n else text[: max(1, n - 1)] + "…"


def _light(s: Session, scale: float, y: int) -> list[str]:
    """One rect per pixel column run of the same colour and height."""
    top = max((max(f) for _, f in s.frames), default=0) or 1
    cols: list[tuple[str, int]] = []
    seen: dict[bytes, tuple[str, int]] = {}  # a frame shown in many columns is coloured once
    i, cur = 0, b""
    for c in range(WIDTH):
        t = (c + 0.5) / scale
        while i < len(s.frames) and s.frames[i][0] <= t:
            cur = s.frames[i][1]
            i += 1
        if cur not in seen:
            seen[cur] = _colour(cur, top)
        cols.append(seen[cur])
    out = []
    c = 0
    while c < WIDTH:
        d = c
        while d + 1 < WIDTH and cols[d + 1] == cols[c]:
            d += 1
        fill, h = cols[c]
        if h:
            out.append(f'<rect x="{LEFT + c}" y="{y + LIGHT_H - h}" width="{d - c + 1}" '
                       f'height="{h}" fill="{fill}"/>')  # fmt: skip
        c = d + 1
    return out


def _colour(frame: bytes, top: int) -> tuple[str, int]:
    """The brightest LED's colour lifted to full, and the bar height for its byte."""
    if not frame or not any(frame):
        return ("", 0)
    peak = max(frame)
    best = frame.index(peak) // 3 * 3
    rgb = frame[best : best + 3]
    lifted = "#" + "".join(f"{v * 255 // peak:02x}" for v in rgb)
    return (lifted, max(2, round(LIGHT_H * peak / top)))


def _touch(s: Session, scale: float, y: int) -> list[str]:
    out = []
    events = s.motor + [(s.end_ms, 0)]
    for (t, lv), (t1, _) in zip(events, events[1:], strict=False):
        if lv and t1 > t:
            h = max(2, round((TOUCH_H - 4) * lv / 255))
            out.append(f'<rect x="{LEFT + t * scale:.1f}" y="{y + TOUCH_H - h}" '
                       f'width="{max(0.6, (t1 - t) * scale):.1f}" height="{h}" fill="#c0392b"/>')  # fmt: skip
    return out


def _ticks(total: int, scale: float, y: int) -> list[str]:
    minutes = total / 60000
    every = next(m for m in (1, 2, 5, 10, 15, 30) if minutes / m <= 12)
    out = []
    m = 0
    while m * 60000 <= total:
        x = LEFT + m * 60000 * scale
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{y}" stroke="#0002"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 12}" text-anchor="middle" fill="#555">{m}</text>')
        m += every
    return out
