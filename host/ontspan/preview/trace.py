"""Light and motor of one session, edge by edge: read from the sim's trace
(`ontspan sim --trace`) or from the device preview (the firmware engine under
MicroPython on a virtual clock), summarised the same way so the two can be
compared, tested and benchmarked.

Trace lines (hal_sim.py): `E tick kind block group late`, `F tick rgbhex`
(LED bytes in RGB order), `M tick level duty_u16` (a line whenever the board's
duty changes; the level after the motor cap). Ticks wrap at 2^30.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..firmware.ticks import PERIOD  # the Pico's tick wrap: trace ticks are the sim's
from ..protocols.timeline import END, END_MS, HOLD, IN, KIND_NAMES, OUT, RELEASE, TENSE

PHASES = (TENSE, RELEASE, IN, HOLD, OUT)  # the five kinds that must feel different


@dataclass
class Session:
    """Session-relative ms (0 = the first edge's deadline)."""

    edges: list[tuple[int, int, int, int]] = field(default_factory=list)  # t, kind, block, group
    frames: list[tuple[int, bytes]] = field(default_factory=list)
    motor: list[tuple[int, int]] = field(default_factory=list)
    end_ms: int = 0


def parse(lines: Iterable[str], *, stopped: bool = False) -> list[Session]:
    """Every session in a trace: its E lines up to the END edge, and the frames
    and motor levels until the END cue is over. `stopped`: the lines end with a
    session that STOP ended; it ends where its last edge began, that edge (cut
    short) left out."""
    out: list[Session] = []
    cur: Session | None = None
    t0 = 0
    last_frame: bytes | None = None
    last_motor = 0
    for line in lines:
        parts = line.split()
        if len(parts) < 3 or parts[0] not in ("E", "F", "M"):
            continue
        tick = int(parts[1])
        if cur is not None and cur.end_ms and ((tick - t0) % PERIOD > cur.end_ms or parts[0] == "E"):
            out.append(cur)  # the END cue is over
            cur = None
        if parts[0] == "E":
            kind, block, group, late = (int(x) for x in parts[2:6])
            if cur is None:
                t0 = tick - late
                cur = Session()
                if last_frame is not None:
                    cur.frames.append((-1, last_frame))  # showing before the session
                cur.motor.append((0, last_motor))
            t = (tick - t0) % PERIOD
            cur.edges.append((t, kind, block, group))
            if kind == END:
                # the cue ends END_MS after the edge was due (`late` ms before it was handled)
                cur.end_ms = t - late + END_MS
        elif parts[0] == "F":
            last_frame = bytes.fromhex(parts[2])
            if cur is not None:
                cur.frames.append(((tick - t0) % PERIOD, last_frame))
        else:
            # the level after the cap; a duty of 0 (a tripped motor) is off whatever the level
            last_motor = int(parts[2]) if len(parts) < 4 or int(parts[3]) else 0
            if cur is not None:
                cur.motor.append(((tick - t0) % PERIOD, last_motor))
    if cur is not None and cur.end_ms:
        out.append(cur)
    elif cur is not None and stopped and len(cur.edges) > 1:
        end = cur.edges.pop()[0]
        cur.end_ms = end
        cur.frames = [f for f in cur.frames if f[0] < end]
        cur.motor = [m for m in cur.motor if m[0] < end]
        out.append(cur)
    return out


def _states(frames: list[tuple[int, bytes]], a: int, b: int) -> list[bytes]:
    """The edge's light: the frames it draws in [a, b), or, when it changes
    nothing (a hold after the in-breath's last frame), the frame already showing."""
    before = None
    shown: list[bytes] = []
    for t, f in frames:
        if t < a:
            before = f
        elif t < b:
            shown.append(f)
        else:
            break
    if shown:
        return shown
    return [before] if before is not None else []


def _pulses(motor: list[tuple[int, int]], a: int, b: int) -> list[tuple[int, int, int]]:
    """(start - a, on ms, top level) of each motor pulse in [a, b); one already
    running at a counts from a, one still running at b ends there."""
    spans: list[tuple[int, int, int]] = []
    on_at = -1
    top = level = 0
    for t, lv in motor:
        if t >= b:
            break
        if lv and not level:
            on_at, top = t, lv
        elif lv:
            top = max(top, lv)
        elif level:
            spans.append((on_at, t, top))
        level = lv
    if level:
        spans.append((on_at, b, top))
    return [(max(s, a) - a, e - max(s, a), lv) for s, e, lv in spans if e > a]


def signature(pulses: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    """Rhythm of a cue: pulse count, longest and shortest pulse in 100 ms."""
    if not pulses:
        return (0, 0, 0)
    ds = [d for _, d, _ in pulses]
    return (len(pulses), round(max(ds) / 100), round(min(ds) / 100))


def summarise(s: Session) -> list[dict[str, Any]]:
    """Per edge: light (peak, first and last frame) and motor (pulses, signature)."""
    out = []
    ends = [e[0] for e in s.edges[1:]] + [s.end_ms]
    for (t, kind, block, group), t1 in zip(s.edges, ends, strict=True):
        states = _states(s.frames, t, t1)
        lit = [f for f in states if any(f)]
        pulses = _pulses(s.motor, t, t1)
        out.append(
            {
                "t_ms": t,
                "kind": KIND_NAMES[kind],
                "block": block,
                "group": group,
                "dur_ms": t1 - t,
                "light": {
                    "peak": max((max(f) for f in states), default=0),
                    "lowest_lit": min((max(f) for f in lit), default=0),
                    "first": _frame_json(states[0]) if states else None,
                    "last": _frame_json(states[-1]) if states else None,
                    "blue": max((max(f[2::3]) for f in states), default=0),
                },
                "motor": {
                    "pulses": [list(p) for p in pulses],
                    "first_on_ms": pulses[0][0] if pulses else None,
                    "signature": list(signature(pulses)),
                },
            }
        )
    return out


def _frame_json(f: bytes) -> dict[str, int]:
    return {"max": max(f), "sum": sum(f), "lit": sum(1 for i in range(0, len(f), 3) if any(f[i : i + 3]))}


def motor_on_ms(s: Session) -> int:
    """Total ms the motor is on in the session."""
    total = 0
    on_at = -1
    for t, lv in s.motor + [(s.end_ms, 0)]:
        if lv and on_at < 0:
            on_at = t
        elif not lv and on_at >= 0:
            total += t - on_at
            on_at = -1
    return total


def light_faults(edges: list[dict[str, Any]], *, night: bool, floor: int = 3) -> list[str]:
    """What a patient would miss in the dark: unlit phases, blue at night, wrong direction."""
    bad = []
    for e in edges:
        k, lt = e["kind"], e["light"]
        where = f"{k} at {e['t_ms']} ms"
        if night and lt["blue"]:
            bad.append(f"{where}: blue {lt['blue']}")
        if k == "PAUSE":
            continue
        if lt["peak"] < floor:
            bad.append(f"{where}: peak byte {lt['peak']} < {floor}")
        if lt["lowest_lit"] and lt["lowest_lit"] < floor:
            bad.append(f"{where}: a lit frame at byte {lt['lowest_lit']} < {floor}")
        first, last = lt["first"], lt["last"]
        if k == "IN" and first and last and not last["sum"] > first["sum"]:
            bad.append(f"{where}: does not brighten ({first['sum']} -> {last['sum']})")
        if k in ("OUT", "RELEASE") and first and last and not last["sum"] < first["sum"]:
            bad.append(f"{where}: does not dim ({first['sum']} -> {last['sum']})")
        if k == "TENSE" and first and last and not last["lit"] > first["lit"]:
            bad.append(f"{where}: does not fill ({first['lit']} -> {last['lit']} LEDs)")
    return bad


def touch_faults(edges: list[dict[str, Any]], *, within_ms: int = 150) -> list[str]:
    """Phase edges that are not felt soon enough, and kinds that feel alike."""
    bad = []
    phases = {KIND_NAMES[p] for p in PHASES}
    for e in edges:
        k = e["kind"]
        if k not in phases:
            continue
        m = e["motor"]
        if m["first_on_ms"] is None or m["first_on_ms"] > within_ms:
            bad.append(f"{k} at {e['t_ms']} ms: motor on at {m['first_on_ms']} ms")
    modes = {k: tuple(v) for k, v in signatures(edges).items() if k in phases}
    if len(set(modes.values())) != len(modes):
        bad.append(f"kinds share a motor signature: {modes}")
    return bad


def signatures(edges: list[dict[str, Any]]) -> dict[str, list[int]]:
    """The usual (most common) signature of each phase kind."""
    seen: dict[str, dict[tuple[int, ...], int]] = {}
    for e in edges:
        seen.setdefault(e["kind"], {})
        sig: tuple[int, ...] = tuple(e["motor"]["signature"])
        seen[e["kind"]][sig] = seen[e["kind"]].get(sig, 0) + 1
    return {k: list(max(v.items(), key=lambda kv: kv[1])[0]) for k, v in seen.items()}


FRAME_MS = 16  # the engine draws a frame every 16 ms (firmware engine.FRAME_MS)


def differences(got: Session, want: Session, *, late_ms: int, early_ms: int = 2) -> list[str]:
    """How a session played on the sim differs from the device preview's, edge
    by edge. The sim keeps time by its (scaled) clock: the firmware acts on an
    edge, a motor step or a frame at its first loop pass at or after the time
    it is due, so on the sim everything may come up to `late_ms` later than on
    the preview and never earlier (`early_ms`: the trace's rounding to the ms).
    Motor: the same pulses at the same levels, each starting and ending within
    that window (relative to its edge). Light: a frame the sim draws shows what
    the preview shows at that moment, but it may draw it up to late_ms plus a
    frame off the preview's, so each figure may differ by as much as the
    preview's own light moves in that time (none on a steady light)."""
    bad = []
    # the sim's stamps are good to early_ms, and what follows the END cue (the
    # rating scale) begins at once: its last early_ms are left out
    cut = Session(got.edges, got.frames, got.motor, got.end_ms - early_ms)
    g_all, w_all = summarise(cut), summarise(want)
    if len(g_all) > len(w_all):
        return [f"{len(g_all)} edges where the preview has {len(w_all)}"]
    spans = [e[0] for e in want.edges[1:]] + [want.end_ms]
    span = late_ms + 2 * FRAME_MS
    for g, w, t1 in zip(g_all, w_all, spans, strict=False):
        where = f"{w['kind']} at {w['t_ms']} ms"
        if (g["kind"], g["block"], g["group"]) != (w["kind"], w["block"], w["group"]):
            bad.append(f"{where}: {g['kind']} {g['block']}/{g['group']} on the sim")
            continue
        d = g["t_ms"] - w["t_ms"]
        if not -early_ms <= d <= late_ms:
            bad.append(f"{where}: begun {d} ms after the preview's")
        window = _window(want, w["t_ms"], t1)
        bad += [f"{where}: {m}" for m in _light_differences(g["light"], w["light"], window, span, first=bool(w["t_ms"]))]
        gp, wp = g["motor"]["pulses"], w["motor"]["pulses"]
        ok = len(gp) == len(wp) and all(
            a[2] == b[2]
            and -early_ms <= a[0] - b[0] <= late_ms
            and -early_ms <= a[0] + a[1] - b[0] - b[1] <= late_ms
            for a, b in zip(gp, wp, strict=True)
        )
        if not ok:
            bad.append(f"{where}: motor {gp} where the preview has {wp}")
    return bad


def _window(s: Session, a: int, b: int) -> list[tuple[int, bytes]]:
    """The frames showing in [a, b): the one showing at a, then those drawn before b."""
    before = [f for f in s.frames if f[0] <= a][-1:]
    return before + [f for f in s.frames if a < f[0] < b]


def _drift(values: list[tuple[int, int]], span: int) -> int:
    """The most a figure of the light changes between two moments at most `span`
    ms apart (a value holds until the next one is drawn)."""
    most = 0
    for i, (_, v) in enumerate(values):
        held_until = values[i + 1][0] if i + 1 < len(values) else None
        for t, u in values[i + 1 :]:
            if held_until is not None and t - held_until > span:
                break
            most = max(most, abs(u - v))
    return most


def _light_differences(
    g: dict[str, Any], w: dict[str, Any], frames: list[tuple[int, bytes]], span: int, *, first: bool
) -> list[str]:
    """`first`: compare the first frames too. Not at a session's start: a trace
    line is written only when the ring changes, so whether the session's first
    (dark) frame is in it depends on what the ring showed before the session."""
    bright = _drift([(t, max(f)) for t, f in frames], span)
    lit = [(t, max(f)) for t, f in frames if any(f)]
    figures = [
        ("peak", g["peak"], w["peak"], bright),
        ("lowest lit byte", g["lowest_lit"], w["lowest_lit"], _drift(lit, span)),
        ("blue", g["blue"], w["blue"], _drift([(t, max(f[2::3])) for t, f in frames], span)),
    ]
    count = _drift([(t, sum(1 for i in range(0, len(f), 3) if any(f[i : i + 3]))) for t, f in frames], span)
    for end in ("first", "last") if first else ("last",):
        if g[end] and w[end]:
            figures.append((f"{end} frame's brightest byte", g[end]["max"], w[end]["max"], bright))
            figures.append((f"{end} frame's lit LEDs", g[end]["lit"], w[end]["lit"], count))
    bad = [f"{name} {a} where the preview has {b} (+-{tol})" for name, a, b, tol in figures if abs(a - b) > tol]
    if (g["peak"] > 0) != (w["peak"] > 0):
        bad.append(f"lit {g['peak'] > 0} where the preview's is {w['peak'] > 0}")
    return bad
