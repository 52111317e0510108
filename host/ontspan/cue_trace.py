"""Light and motor of one session, edge by edge: read from the sim's trace
(`ontspan sim --trace`) or from the device preview (the firmware engine under
MicroPython on a virtual clock), summarised the same way so the two can be
compared, tested and benchmarked.

Trace lines (hal_sim.py): `E tick kind block group late`, `F tick rgbhex`
(LED bytes in RGB order), `M tick level` (after the motor cap). Ticks wrap at 2^30.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .protocols.timeline import END, END_MS, HOLD, IN, KIND_NAMES, OUT, RELEASE, TENSE

PERIOD = 1 << 30
PHASES = (TENSE, RELEASE, IN, HOLD, OUT)  # the five kinds that must feel different


@dataclass
class Session:
    """Session-relative ms (0 = the first edge's deadline)."""

    edges: list[tuple[int, int, int, int]] = field(default_factory=list)  # t, kind, block, group
    frames: list[tuple[int, bytes]] = field(default_factory=list)
    motor: list[tuple[int, int]] = field(default_factory=list)
    end_ms: int = 0


def parse(lines: Iterable[str]) -> list[Session]:
    """Every session in a trace: its E lines up to the END edge, and the frames
    and motor levels until the END cue is over."""
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
                    cur.frames.append((0, last_frame))
                cur.motor.append((0, last_motor))
            t = (tick - t0) % PERIOD
            cur.edges.append((t, kind, block, group))
            if kind == END:
                cur.end_ms = t + END_MS
        elif parts[0] == "F":
            last_frame = bytes.fromhex(parts[2])
            if cur is not None:
                cur.frames.append(((tick - t0) % PERIOD, last_frame))
        else:
            last_motor = int(parts[2])
            if cur is not None:
                cur.motor.append(((tick - t0) % PERIOD, last_motor))
    if cur is not None and cur.end_ms:
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
