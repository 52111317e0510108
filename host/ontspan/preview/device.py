"""The preview that is the device: one protocol played by the firmware's own
engine, light, touch and pixels under MicroPython, on a virtual clock that the
loop advances the way the device's main loop sleeps (to the next frame or
edge), with the device's default caps from firmware/config.py and the boards'
motor model (firmware/motor.py: cap, kick, trip). It prints the
sim's trace lines (E, F, M), so the picture, `--json` and the tests read the
preview exactly as they read a trace of the sim.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..errors import OntspanError
from ..mpy import run_code
from ..protocols.compiler import compile_table
from ..protocols.model import Protocol
from .trace import Session, motor_on_ms, parse, summarise

# the firmware's cue code on a virtual clock; session() plays one table's first protocol
PLAYER = """
import config, engine, motor, pixels, table, ticks
CFG = config.defaults()
w = print

class Clock:
    def __init__(self):
        self.now = 0
    def ticks_ms(self):
        return self.now
    def ticks_add(self, a, b):
        return ticks.ticks_add(a, b)  # the Pico's 2^30 wrap, firmware/ticks.py
    def ticks_diff(self, a, b):
        return ticks.ticks_diff(a, b)

class Ring(pixels.Ring):
    def __init__(self, n):
        super().__init__(n, CFG['day_cap'], bytearray(3 * n), b'\\x00\\x01\\x02')
        self.last = bytearray(3 * n)
    def show(self):
        self.render_out()
        if self.out != self.last:
            self.last[:] = self.out
            w('F %d %s' % (clock.now, self.out.hex()))

def traced(duty):
    # as hal_sim's trace: a line whenever the board's duty changes, with the level after the cap
    w('M %d %d %d' % (clock.now, mot.level, duty))

def on_edge(e):
    w('E %d %d %d %d 0' % (clock.now, e.kind, e.block, e.group))

def session(NIGHT, UNTIL, STEP, path):
    # UNTIL: session ms to stop at (None: to the end); STEP: ms between frames
    # drawn (None: every frame, as the device)
    global clock, mot
    clock = Clock()
    ring = Ring(CFG['ring_leds'])
    ring.set_device_cap(CFG['night_cap'] if NIGHT else CFG['day_cap'])  # as the app does
    mot = motor.Motor(traced, clock, CFG['motor_cap'])  # the one motor model both boards use
    eng = engine.Engine(ring, mot, clock, device_cap=CFG['day_cap'], night_cap=CFG['night_cap'])
    eng.on_edge = on_edge
    with open(path, 'rb') as f:
        t = table.Table(f.read())
    if t.err:
        w('table refused, error', t.err)
        return False
    eng.start(t, 0, NIGHT)
    while eng.state != engine.DONE:
        if UNTIL is not None and clock.now >= UNTIL:
            eng.stop()  # as STOP does: motor off, ring dark
            break
        ms = eng.ms_to_next(clock.now)
        if STEP:
            # a sampled preview: the loop sleeps past frames (the engine draws the light of
            # the moment it wakes, as after a stall) but never past an edge, a motor change
            # or the end of the motor's kick, so edges and touch stay exact
            now = clock.now
            ms = clock.ticks_diff(eng._deadline, now)
            if ms > STEP:
                ms = STEP
            c = eng.touch.left
            if 0 < c < ms:
                ms = c
            if mot._kicking:
                k = clock.ticks_diff(mot._kick_until, now)
                if 0 < k < ms:
                    ms = k
        clock.now += ms if ms > 0 else 1
        eng.tick()
        mot.service()  # as the app's loop does after every pass: ends the kick
    w('D %d' % clock.now)
    return True
"""
# one session, then the process ends
ONCE = "if not session(%(night)r, %(until)r, %(step)r, %(path)r):\n    raise SystemExit(2)\n"


def play(
    proto: Protocol, *, night: bool, until_ms: int | None = None, frame_ms: int | None = None
) -> Session:
    """The session as the device plays it: edges, frames and motor levels; with
    `until_ms`, stopped then (the edge it cuts is left out, see cue_trace.parse).
    `frame_ms`: draw the light only every so many ms (a picture a few hundred
    pixels wide needs no more); edges and motor are exact all the same."""
    data = compile_table([proto])
    with tempfile.TemporaryDirectory(prefix="ontspan-preview-") as tmp:
        path = Path(tmp) / "table.bin"
        path.write_bytes(data)
        code = PLAYER + ONCE % {"night": night, "path": str(path), "until": until_ms, "step": frame_ms}
        res = run_code(code, timeout=600, heapsize="512K")
    if not res.ok:
        raise OntspanError(f"the firmware could not play {proto.name}: {res.output.strip()[-300:]}")
    sessions = parse(res.stdout.splitlines(), stopped=until_ms is not None)
    if len(sessions) != 1:
        raise OntspanError(f"the firmware played {len(sessions)} sessions of {proto.name}, not 1")
    return sessions[0]


def preview_json(proto: Protocol, *, night: bool, names: list[tuple[str, list[str]]]) -> dict[str, Any]:
    """Per edge: block label, group name, and the light and motor the device gives."""
    s = play(proto, night=night)
    edges = summarise(s)
    for e in edges:
        label, groups = names[e["block"]] if e["block"] < len(names) else (None, [])
        e["block_label"] = label
        e["group_name"] = groups[e["group"]] if e["group"] < len(groups) else None
    return {
        "id": proto.id,
        "name": proto.name,
        "title": proto.title,
        "mode": "night" if night else "day",
        "duration_ms": s.end_ms,
        "motor_on_ms": motor_on_ms(s),
        "edges": edges,
    }
