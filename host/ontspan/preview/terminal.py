"""`ontspan preview FILE --terminal`: play one protocol in the terminal through the
real firmware engine (firmware/engine.py under MicroPython), not a second
implementation of it.

The protocol is compiled to a one-protocol table in a temporary file; a
MicroPython snippet loads it with firmware/table.py, plays it with
firmware/engine.py on a clock that runs `speed` times faster than real time,
and draws each frame as one terminal line: the ring as ANSI truecolour cells
(after the firmware's own gamma and the device's default caps from
firmware/config.py, lifted by 255/cap so a night frame can be seen on a screen), a motor bar, the session time and the current cue. Lines are
rate-limited (about 30 per second) except at cue edges, which are always drawn.
The snippet writes straight to this terminal and ends at the END cue (exit 0).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import InputError, OntspanError
from ..paths import FIRMWARE_DIR, micropython_binary
from ..protocols.compiler import compile_table
from ..protocols.model import (
    PROMPTS,
    BreathBlock,
    CheckBlock,
    PmrBlock,
    Protocol,
    RestBlock,
    iter_blocks,
)
from ..protocols.parser import load_protocol
from ..protocols.timeline import KIND_NAMES

DEFAULT_SPEED = 10
HEAPSIZE = "192K"

# %(...)r fields are filled in by play(); the snippet runs under MicroPython
SNIPPET = """
import sys, time
import config, contract, engine, hal_sim, pixels, table
SPEED = %(speed)r
NIGHT = %(night)r
KINDS = %(kinds)r
BLOCKS = %(blocks)r
FRAME_US = 33000  # at most ~30 lines a second between cue edges
out = sys.stdout
w = out.write

class Motor:
    def __init__(self):
        self.level = 0
    def set(self, level):
        self.level = level

class Ring(pixels.Ring):
    def __init__(self, n):
        super().__init__(n, CFG['day_cap'], bytearray(3 * n), b'\\x00\\x01\\x02')
        self.drawn = time.ticks_us() - FRAME_US
        self.force = False
    def show(self):
        now = time.ticks_us()
        if not self.force and time.ticks_diff(now, self.drawn) < FRAME_US:
            return
        self.force = False
        self.drawn = now
        draw()

clock = hal_sim.Clock(SPEED, 0)  # the sim's scaled clock, with the Pico's tick wrap
CFG = config.defaults()
ring = Ring(CFG['ring_leds'])
ring.set_device_cap(CFG['night_cap'] if NIGHT else CFG['day_cap'])  # as the app does
motor = Motor()
eng = engine.Engine(ring, motor, clock, device_cap=CFG['day_cap'], night_cap=CFG['night_cap'])
cue = ''

def draw():
    ring.render_out()
    s = eng.elapsed_ms() // 1000
    w('\\r\\x1b[2K %%s  %%2d:%%02d  %%s' %% (
        hal_sim.ring_text(ring.out, ring.n, motor.level), s // 60, s %% 60, cue))

def on_edge(e):
    global cue
    if ring.force:
        draw()  # two edges in one tick (a slow host at high speed): show both cues
    name = KINDS.get(e.kind, str(e.kind))
    if e.block < len(BLOCKS):
        label, groups = BLOCKS[e.block]
        if e.group < len(groups):
            name += '  ' + groups[e.group]
        elif groups and e.group == contract.NO_GROUP and e.kind == contract.K_CHECK:
            name += '  ' + groups[0]
        name += '  (' + label + ')'
    cue = name
    ring.force = True  # every cue edge gets its own line

with open(%(path)r, 'rb') as f:
    t = table.Table(f.read())
if t.err:
    print('table refused, error', t.err)
    sys.exit(2)
eng.on_edge = on_edge
eng.start(t, 0, NIGHT)
while eng.state != engine.DONE:
    eng.tick()
    ms = eng.ms_to_next(clock.ticks_ms())
    if ms > 0:
        time.sleep_us(min(ms * 1000 // SPEED, FRAME_US))
cue = 'done'
ring.force = True
draw()
w('\\n')
"""


def block_names(proto: Protocol) -> list[tuple[str, list[str]]]:
    """Per block index: its label and the names of its groups (or a check's prompt)."""
    out: list[tuple[str, list[str]]] = []
    for b in iter_blocks(proto.blocks):
        if isinstance(b, PmrBlock):
            out.append((b.label, [g.name for g in b.groups]))
        elif isinstance(b, CheckBlock):
            out.append((b.label, [PROMPTS[b.prompt]]))
        elif isinstance(b, BreathBlock | RestBlock):
            out.append((b.label, []))
    return out


def snippet(proto: Protocol, table_path: str, *, speed: int, night: bool) -> str:
    return SNIPPET % {
        "speed": speed,
        "night": night,
        "kinds": dict(KIND_NAMES),
        "blocks": block_names(proto),
        "path": table_path,
    }


def play(path: str | os.PathLike[str], speed: int = DEFAULT_SPEED, *, night: bool = False) -> int:
    """Play the protocol in `path` in this terminal; returns the exit code (0 at END)."""
    if speed < 1:
        raise InputError(f"--speed must be a whole number >= 1, not {speed}")
    proto, diags = load_protocol(Path(path))
    for d in diags:
        print(d, file=sys.stderr)
    if proto is None:
        raise InputError(f"{path} has errors; run `ontspan check {path}`")
    data = compile_table([proto])
    with tempfile.TemporaryDirectory(prefix="ontspan-preview-") as tmp:
        table_path = Path(tmp) / "table.bin"
        table_path.write_bytes(data)
        code = snippet(proto, str(table_path), speed=speed, night=night)
        env = dict(os.environ, MICROPYPATH=f"{FIRMWARE_DIR}:.frozen")
        sys.stdout.flush()
        try:
            proc = subprocess.Popen(
                [micropython_binary(), "-X", f"heapsize={HEAPSIZE}", "-c", code], env=env
            )
        except OSError as e:
            raise OntspanError(f"cannot run MicroPython: {e}") from e
        try:
            rc = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            sys.stdout.write("\x1b[0m\n")
            sys.stdout.flush()
            return 130
    return rc
