"""What is felt around a session's start, on the sim on exact device time (inside
jumps: see tests/test_cues_exact_sim.py), for every library protocol and every
gesture script below: the rating's opening, steps, "taken" and the value played
back, its timeout and the session starting anyway, pause and resume, choosing and
showing a protocol, the first cues.

1. Gaps that hold: no two motor pulses anywhere in the trace are closer than
   100 ms (touch.py keeps the gap for every caller).
2. States told apart by the trace alone: the rating's opening, "taken", its
   timeout and each choice slot have rhythms (pulse and gap lengths to 100 ms,
   protocols/haptics.rhythm's rule) and signatures (count, longest, shortest)
   that differ from each other and from the five phase kinds as played."""

from __future__ import annotations

from conftest import hello_or_none, wait_for
from ontspan.device import client as L
from ontspan.preview.trace import PERIOD, PHASES
from ontspan.protocols.compiler import compile_table
from ontspan.sim.device import SimDevice
from test_cues_sim import DAY, _library

GAP_MS = 100
QUIET_MS = 800  # silence that ends a felt group (a choice's taps pause 780 ms after every fifth)
TIMEOUT_S = 45  # the rating waits 30 s

# a script: "start" (the protocol, over the link), a gesture, or seconds of device time
SCRIPTS = {
    "timeout": ["start", TIMEOUT_S],  # a rating before times out, the session starts anyway
    "rate": ["start", 3, "tap", 2, "tap", 2, "double", 2, "hold", 12],  # else pause, resume, stop
    "quick": ["start", "hold", 12],  # confirmed at 0 while the opening plays; else stopped at once
    "pause": ["start", 8, "tap", 3, "tap", 8],
    "choose": ["double", 8, "hold", 8, "tap", TIMEOUT_S],  # next protocol, show it, start it
}


def _run(state) -> tuple[list[list[str]], dict[tuple[str, str], tuple[int, int]], list]:
    """The whole trace as split lines, and per (protocol, script) its span of lines."""
    protos = _library()
    spans = {}
    with SimDevice(state, speed=1, trace=True) as dev:
        wait_for(lambda: hello_or_none(dev.port), timeout=60)
        with L.Link(dev.port) as lk:
            lk.hello()
            lk.put_table(compile_table(protos))
            lk.set_clock(DAY, 0)
            dev.jump(10)
            for p in protos:
                for name, script in SCRIPTS.items():
                    first = len(dev.trace_lines())
                    for step in script:
                        if step == "start":
                            lk.start(p.id)
                        elif isinstance(step, str):
                            dev.inject(step)
                        else:
                            dev.jump(step)
                    lk.stop()
                    dev.jump(3)
                    assert lk.status().state_name == "idle", (p.name, name)
                    spans[(p.name, name)] = (first, len(dev.trace_lines()))
        lines = [ln.split() for ln in dev.trace_lines()]
    return lines, spans, protos


def _timeline(lines: list[list[str]]) -> list[int]:
    """Each line's device ms on one unwrapped axis (ticks wrap at 2^30)."""
    out, t, prev = [], 0, None
    for p in lines:
        tick = int(p[1]) if len(p) > 1 and p[1].lstrip("-").isdigit() else prev
        if prev is not None and tick is not None:
            d = (tick - prev) % PERIOD
            t += d if d < PERIOD // 2 else 0
        if tick is not None:
            prev = tick
        out.append(t)
    return out


def _pulses(lines, times, a: int, b: int) -> list[tuple[int, int]]:
    """(start ms, on ms) of each motor pulse begun in lines[a:b] (a tripped motor is off)."""
    level, out = 0, []
    for i in range(a, b):
        p = lines[i]
        if p[0] != "M":
            continue
        lv = int(p[2]) if int(p[3]) else 0
        if lv and not level:
            out.append([times[i], -1])
        elif level and not lv and out:
            out[-1][1] = times[i] - out[-1][0]
        level = lv
    return [(s, d) for s, d in out if d > 0]


def rhythm(pulses: list[tuple[int, int]]) -> tuple[int, ...]:
    """Pulse and gap lengths to the nearest 100 ms, as protocols/haptics.rhythm."""
    out: list[int] = []
    for i, (s, d) in enumerate(pulses):
        if i:
            out.append((s - sum(pulses[i - 1]) + 50) // 100)
        out.append((d + 50) // 100)
    return tuple(out)


def signature(pulses: list[tuple[int, int]]) -> tuple[int, int, int]:
    ds = [d for _, d in pulses]
    return (len(ds), round(max(ds) / 100), round(min(ds) / 100))


def _group(pulses, t0: int, t1: int) -> list[tuple[int, int]]:
    """The pulses from t0 on until QUIET_MS of silence or t1."""
    out = []
    for s, d in pulses:
        if s < t0:
            continue
        if s >= t1 or (out and s - sum(out[-1]) >= QUIET_MS):
            break
        out.append((s, d))
    return out


def test_gaps_hold_and_states_are_told_apart_by_the_trace(tmp_path):
    lines, spans, protos = _run(tmp_path / "sim")
    times = _timeline(lines)
    every = _pulses(lines, times, 0, len(lines))
    assert len(every) > 500  # the scripts were felt
    close = [(s, d, t) for (s, d), (t, _) in zip(every, every[1:], strict=False) if t - (s + d) < GAP_MS]
    assert not close, close[:10]

    felt: dict[str, set[tuple[int, ...]]] = {}
    sigs: dict[str, set[tuple[int, int, int]]] = {}

    def note(name, group):
        assert group, name
        felt.setdefault(name, set()).add(rhythm(group))
        sigs.setdefault(name, set()).add(signature(group))

    rated_before = {p.name for p in protos if p.rating == 2}  # before_after
    assert rated_before
    for (pname, script), (a, b) in spans.items():
        pulses = _pulses(lines, times, a, b)
        idx = range(a, b)
        edges = [i for i in idx if lines[i][0] == "E"]
        first_edge = times[edges[0]] if edges else times[b - 1] + 1
        gestures = [(int(lines[i][2]), times[i]) for i in idx if lines[i][0] == "G"]
        if script == "timeout" and pname in rated_before:
            opening = _group(pulses, times[a], first_edge)
            note("rating opens", opening)
            later = [s for s, _ in pulses if s >= opening[-1][0] + 20_000]
            note("rating timed out", _group(pulses, later[0], first_edge))
        if script == "rate" and pname in rated_before:
            hold = next(t for ev, t in gestures if ev == 3)
            taken = _group(pulses, hold, first_edge)
            note("rating taken", taken)
            value = _group(pulses, sum(taken[-1]) + 1, first_edge)
            assert rhythm(value) == (1,)  # up, up, down: 1, played back as one tap
        if script == "choose":
            for (ev, t), (_, t1) in zip(gestures, gestures[1:], strict=False):
                if ev in (2, 3):  # double tap: the next protocol; hold: the one chosen
                    note("choice", _group(pulses, t, t1))
        # the five phase kinds as each protocol's opening plays them (no gesture in
        # between; the edge STOP cut is left out)
        for i, j in zip(edges, edges[1:], strict=False) if script == "timeout" else ():
            kind = int(lines[i][2])
            if kind in PHASES:
                g = [(s, d) for s, d in pulses if times[i] <= s < times[j]]
                if g:
                    note(f"kind {kind}", g)
    choices = felt.pop("choice")
    for r in choices:  # slot n: n slow taps (120 on, 380 off; a longer pause after every fifth)
        assert set(r[0::2]) == {1} and set(r[1::2]) <= {4, 8}, r
    assert {len(r) // 2 + 1 for r in choices} == set(range(1, len(protos) + 1))
    states = ("rating opens", "rating taken", "rating timed out")
    for s in states:
        assert len(felt[s]) == 1, (s, felt[s])  # the same every time
    names = list(felt)
    for i, x in enumerate(names):
        assert not felt[x] & choices, (x, felt[x] & choices)
        for y in names[i + 1 :]:
            assert not felt[x] & felt[y], (x, y, felt[x] & felt[y])
    for s in states:  # stronger: not even the same count, longest and shortest pulse
        others = set().union(*(sigs[n] for n in sigs if n != s))
        assert not sigs[s] & others, (s, sigs[s] & others)
