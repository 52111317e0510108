"""Cues for the dark, as the firmware plays them (the device preview: engine,
light, touch and pixels under MicroPython on a virtual clock, exact device time):
lowest and highest LED byte per cue kind at night and by day, and motor on-time
per minute of session per protocol."""

from ontspan.cue_trace import motor_on_ms, summarise
from ontspan.device_preview import play
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.files import check_paths

from .common import metric

NIGHT_FLOOR = 3  # the dimmest lit byte a patient sees next to a pillow
GENTLE_ON_S_PER_MIN = 6  # a gentle device is mostly still: under 10 % of the time on


def library():
    protos, _ = check_paths([PROTOCOLS_DIR])
    return sorted(protos, key=lambda p: p.id)


def run(quick: bool = False) -> list[dict]:
    out = []
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
