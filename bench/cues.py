"""Cues for the dark, as the firmware plays them (the device preview: engine,
light, touch and pixels under MicroPython on a virtual clock, exact device time):
lowest and highest LED byte per cue kind at night and by day, and motor on-time
per minute of session per protocol; and what one line of the sim's trace costs
the sim's cue loop (a stall there is multiplied by the sim's speed into device
time and stretches the pulse then playing)."""

import tempfile
from pathlib import Path

from ontspan.mpy import run_code
from ontspan.paths import PROTOCOLS_DIR
from ontspan.preview.device import play
from ontspan.preview.trace import motor_on_ms, summarise
from ontspan.protocols.files import check_paths

from .common import metric

NIGHT_FLOOR = 3  # the dimmest lit byte a patient sees next to a pillow
GENTLE_ON_S_PER_MIN = 6  # a gentle device is mostly still: under 10 % of the time on
SIM_SPEED = 10  # tests/test_cues_sim.py
TRACE_LINE_GOAL_US = 100  # 1 ms of device time at SIM_SPEED: far under its 60 ms window

# hal_sim's own Trace against a bare write, on the disk the tests use (tmp)
TRACE_CODE = """
import time, hal_sim
def per_line(write, n):
    a = time.ticks_us()
    for i in range(n):
        write('M %%d 110 28270' %% i)
    return time.ticks_diff(time.ticks_us(), a) // n
tr = hal_sim.Trace(%(traced)r)
f = open(%(bare)r, 'a')
def bare(line):
    f.write(line)
    f.write('\\n')
print(per_line(tr.write, %(n)d), per_line(bare, %(n)d))
"""


def trace_line_us(n: int) -> tuple[int, int]:
    """(us per line of hal_sim's trace, us per bare unbuffered write) on the unix port."""
    with tempfile.TemporaryDirectory(prefix="ontspan-bench-trace-") as tmp:
        code = TRACE_CODE % {"traced": str(Path(tmp) / "t.log"), "bare": str(Path(tmp) / "b.log"), "n": n}
        res = run_code(code, timeout=120)
    traced, bare = (int(x) for x in res.stdout.split())
    return traced, bare


def library():
    protos, _ = check_paths([PROTOCOLS_DIR])
    return sorted(protos, key=lambda p: p.id)


def run(quick: bool = False) -> list[dict]:
    out = []
    traced, bare = trace_line_us(50 if quick else 500)
    out.append(metric("sim trace line, as hal_sim writes it", traced, "us",
                      f"< {TRACE_LINE_GOAL_US}", traced < TRACE_LINE_GOAL_US))
    out.append(metric(f"sim trace line, device ms at speed {SIM_SPEED}", traced * SIM_SPEED / 1000, "ms"))
    out.append(metric("sim trace line, written without a flush", bare, "us"))
    lows: dict[tuple[str, str], int] = {}
    highs: dict[tuple[str, str], int] = {}
    for p in library():
        for night in (False, True):
            mode = "night" if night else "day"
            s = play(p, night=night)
            for e in summarise(s):
                lt = e["light"]
                key = (mode, e["kind"])
                if lt["lowest_lit"]:
                    lows[key] = min(lows.get(key, 255), lt["lowest_lit"])
                highs[key] = max(highs.get(key, 0), lt["peak"])
            if not night:
                per_min = motor_on_ms(s) * 60 / s.end_ms  # s of motor on per minute
                out.append(
                    metric(f"motor on-time {p.name}", round(per_min, 2), "s/min",
                           f"< {GENTLE_ON_S_PER_MIN}", per_min < GENTLE_ON_S_PER_MIN)
                )
    for mode, kind in sorted(highs):
        lo = lows.get((mode, kind), 0)
        hi = highs[(mode, kind)]
        if mode == "night" and kind != "PAUSE":
            out.append(metric(f"LED byte {kind} night lowest lit", lo, "byte",
                              f">= {NIGHT_FLOOR}", lo >= NIGHT_FLOOR))
        else:
            out.append(metric(f"LED byte {kind} {mode} lowest lit", lo, "byte"))
        out.append(metric(f"LED byte {kind} {mode} highest", hi, "byte"))
    return out
