"""Protocol tables and cue timing: table sizes, heap use per engine tick, frame rate,
cue-edge lateness on the simulated device at 1x, and drift over a whole pmr-17."""

import importlib.util
import os
import subprocess
import tempfile
import time
from pathlib import Path

from ontspan.mpy import run_code
from ontspan.paths import FIRMWARE_DIR, micropython_binary
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.timeline import edges as rule_edges
from ontspan.sim.device import HEAPSIZE, SimDevice

from .common import (
    REPO,
    by_name,
    edge_lines,
    library,
    metric,
    percentile,
    sim_link,
    ticks_diff,
)

MP_HELPERS = str(REPO / "tests" / "mp")
TICK_MS = 7  # virtual-clock step for the heap measurement (about the loop's pace while playing)
FPS_SECONDS = 5  # 1 with --quick
LATE_SECONDS = 62  # each lateness run plays this long at 1x (after START); 4 with --quick
LATE_PROTOCOLS = ("vertragen-8", "adem-4-6", "pmr-kort")  # no rating before: START plays at once

ALLOC = """
import engine, fakes, table
t = table.Table(open(%r, 'rb').read())
for idx in %r:
    c = fakes.Clock()
    e = engine.Engine(fakes.Ring(), fakes.Motor(c), c)
    e.start(t, idx)
    n = 0
    total = 0
    while e.state == engine.PLAYING:
        total += engine.alloc_per_ticks(e, 10000, %d)
        n += 10000
    print(idx, total, e.ticks, e.edges, e.frames)
"""

# the edge's own time (when the tick saw it) minus its lateness is when the engine
# scheduled it; compared on the host with the rule time from ontspan.protocols.timeline
DRIFT = """
import engine, enginerun, table
buf = open(%r, 'rb').read()

class R(enginerun.Run):
    def _edge(self, e):
        at = self.clock.ticks_diff(self.clock.now, self.t0)
        late = e.late_ring[(e.late_i - 1) %% engine.LATE_RING]
        self.edges.append((e.t, e.kind, e.block, e.group, at, late))

r = R(buf, %d)
r.play(enginerun.irregular())
for x in r.edges:
    print(*x)
print('done', r.engine.state == engine.DONE, r.clock.ticks_diff(r.clock.now, r.t0))
"""

# the real app loop (Device.step) on the sim board at 1x for FPS_SECONDS, counting every
# ring.show() the ring receives (the sim's trace keeps only frames that changed)
FPS = """
import os, time
import hal_sim
hal_sim.Board.mount_flash()
os.mkdir('/flash/protocols')  # where storage.py keeps the table
with open('/flash/protocols/table.bin', 'wb') as f:
    f.write(open(%r, 'rb').read())
hal_sim.Board.mount_flash = lambda: None
import app
dev = app.boot()
dev.begin(%d)
ring = dev.board.ring
e = dev.engine
t0 = time.ticks_ms()
f0 = ring.frames
while time.ticks_diff(time.ticks_ms(), t0) < %d:
    dev.step()
print('fps', time.ticks_diff(time.ticks_ms(), t0), ring.frames - f0, e.frames, e.late_max)
"""


# the most work a table can ask of the validator: 32 protocols, each a long ramped
# breath inside a 20 x 20 repeat (tests/fw/test_table_fw.py proves the work is bounded)
VALIDATE = """
import tablecheck, time
buf = %s
best = None
for _ in range(%d):
    t = time.ticks_us()
    err = tablecheck.validate(buf)
    dt = time.ticks_diff(time.ticks_us(), t)
    best = dt if best is None or dt < best else best
print('validate', err, best)
"""


def _worst_table() -> bytes:
    spec = importlib.util.spec_from_file_location("fwtables", REPO / "tests" / "fw" / "fwtables.py")
    assert spec and spec.loader
    ft = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ft)
    prog = ft.program(
        ft.op_repeat(20), ft.op_repeat(20),
        ft.op_breath(10, 0, 10, 0, 200, 200, 200, 200, ramp_s=3600, length=1800),
        ft.op_end_repeat(), ft.op_end_repeat(),
    )
    return ft.table([prog] * 32, ids=list(range(1, 33)))


def _validate_worst_ms(runs: int) -> float:
    """Fastest of `runs` validations of the worst table, in ms (the host's MicroPython)."""
    data = _worst_table()
    out = _mp(VALIDATE % (repr(data), runs))
    _, err, us = next(ln for ln in out.splitlines() if ln.startswith("validate ")).split()
    if err != "9":
        raise SystemExit(f"bench protocols: the worst table gave error {err}, not E_DURATION (9)")
    return int(us) / 1000


def _mp(code: str, **kw) -> str:
    res = run_code(code, path=[MP_HELPERS], timeout=120, **kw)
    if not res.ok:
        raise SystemExit(f"bench protocols: MicroPython failed:\n{res.output}")
    return res.stdout


def _alloc(table_path: str, indexes: list[int]) -> dict[int, tuple[int, int]]:
    out = {}
    for line in _mp(ALLOC % (table_path, tuple(indexes), TICK_MS)).split("\n"):
        if line.strip():
            idx, total, ticks, _, _ = (int(x) for x in line.split())
            out[idx] = (total, ticks)
    return out


def _drift(table_path: str, index: int, proto) -> tuple[int, int, int, bool]:
    lines = _mp(DRIFT % (table_path, index)).strip().split("\n")
    done = lines[-1].split()[1] == "True"
    got = [tuple(int(x) for x in ln.split()) for ln in lines[:-1]]
    rules = rule_edges(proto)
    same = len(got) == len(rules) and all(
        (g[0], g[1], g[2], g[3]) == (r.t_ms, r.kind, r.block, r.group)
        for g, r in zip(got, rules, strict=False)
    )
    drifts = [g[4] - g[5] - r.t_ms for g, r in zip(got, rules, strict=False)]
    last = drifts[-1] if drifts else 0
    return last, max(abs(d) for d in drifts), max(g[5] for g in got), same and done


def _fps(table_path: str, index: int, seconds: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as state:
        env = dict(
            os.environ,
            MICROPYPATH=f"{FIRMWARE_DIR}:.frozen",
            ONTSPAN_SIM_STATE=state,
            ONTSPAN_SIM_SPEED="1",
            ONTSPAN_SIM_TRACE="",
        )
        # stdin stays open and silent, like a serial port with no host talking
        proc = subprocess.Popen(
            [
                micropython_binary(),
                "-X",
                f"heapsize={HEAPSIZE}",
                "-c",
                FPS % (table_path, index, seconds * 1000),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        out, _ = proc.communicate(timeout=seconds + 60)
    text = out.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith("fps ")), None)
    if proc.returncode or line is None:
        raise SystemExit(f"bench protocols: frame-rate run failed:\n{text}")
    _, ms, frames, _, _ = line.split()
    return int(frames) * 1000 / int(ms), int(frames)


def _lateness(table: bytes, protos, seconds: int) -> tuple[list[int], list[int], int]:
    """Play LATE_PROTOCOLS at once, one sim each, at 1x; E lines give lateness per edge.

    Returns (late_ms as the engine reports it, late_ms from trace time stamps vs the
    rule times, edges that did not match the rule timeline)."""
    sims = []
    try:
        for _ in LATE_PROTOCOLS:
            sims.append(SimDevice(speed=1, trace=True).start())
        for sim, name in zip(sims, LATE_PROTOCOLS, strict=True):
            lk = sim_link(sim)
            lk.put_table(table)
            lk.start(by_name(protos, name).id)
            lk.close()
        time.sleep(seconds)
        reported: list[int] = []
        stamped: list[int] = []
        mismatched = 0
        for sim, name in zip(sims, LATE_PROTOCOLS, strict=True):
            got = edge_lines(sim.trace_lines())
            rules = rule_edges(by_name(protos, name))
            if not got:
                raise SystemExit(f"bench protocols: no cue edges traced for {name}")
            t0, _, _, _, late0 = got[0]
            for g, r in zip(got, rules, strict=False):
                ticks, kind, block, group, late = g
                if (kind, block, group) != (r.kind, r.block, r.group):
                    mismatched += 1
                    continue
                reported.append(late)
                stamped.append(ticks_diff(ticks, t0) + late0 - r.t_ms)
        return reported, stamped, mismatched
    finally:
        for sim in sims:
            sim.stop()


def run(quick: bool = False) -> list[dict]:
    fps_s = 1 if quick else FPS_SECONDS
    late_s = 4 if quick else LATE_SECONDS
    protos = library()
    index = {p.name: i for i, p in enumerate(protos)}  # the table holds them in id order
    pmr17 = by_name(protos, "pmr-17")
    one = len(compile_table([pmr17]))
    table = compile_table(protos)
    with tempfile.TemporaryDirectory() as tmp:
        lib_path = str(Path(tmp) / "lib.bin")
        Path(lib_path).write_bytes(table)
        allocs = _alloc(lib_path, list(range(len(protos))))
        br_total, br_ticks = allocs[index["adem-4-6"]]
        pm_total, pm_ticks = allocs[index["pmr-17"]]
        lib_total = sum(a for a, _ in allocs.values())
        lib_ticks = sum(n for _, n in allocs.values())
        drift_last, drift_max, drift_late, drift_same = _drift(lib_path, index["pmr-17"], pmr17)
        fps, _ = _fps(lib_path, index["adem-4-6"], fps_s)
    reported, stamped, mismatched = _lateness(table, protos, late_s)
    worst_ms = _validate_worst_ms(1 if quick else 7)
    p50 = percentile([float(x) for x in reported], 50)
    p99 = percentile([float(x) for x in reported], 99)
    late_max = max(reported)
    stamp_err = max(abs(s - r) for s, r in zip(stamped, reported, strict=True))
    return [
        metric("table bytes, pmr-17 alone", one, "bytes", "<= 256", one <= 256),
        metric(
            "table bytes, whole protocols/ library",
            len(table),
            "bytes",
            "<= 2048",
            len(table) <= 2048,
        ),
        metric(
            "table validation, worst case (32 x ramped breath in 20 x 20 repeats), fastest",
            round(worst_ms, 1),
            "ms",
            "< 2000",
            worst_ms < 2000,
        ),
        metric(
            f"heap bytes per tick, adem-4-6 whole session ({br_ticks} ticks)",
            br_total / br_ticks,
            "B/tick",
            "0",
            br_total == 0,
        ),
        metric(
            f"heap bytes per tick, pmr-17 whole session ({pm_ticks} ticks)",
            pm_total / pm_ticks,
            "B/tick",
            "0",
            pm_total == 0,
        ),
        metric(
            f"heap bytes, all {len(protos)} protocols, whole sessions ({lib_ticks} ticks)",
            lib_total,
            "bytes",
            "0",
            lib_total == 0,
        ),
        metric(
            f"frames/s, adem-4-6, app loop on sim board at 1x, {fps_s} s (every ring.show)",
            round(fps, 1),
            "fps",
            ">= 50",
            fps >= 50,
        ),
        metric(
            f"cue-edge lateness p50, sim at 1x, {late_s} s x {len(LATE_PROTOCOLS)} protocols "
            f"({len(reported)} edges)",
            p50,
            "ms",
        ),
        metric("cue-edge lateness p99, sim at 1x (E trace late_ms)", p99, "ms", "<= 2", p99 <= 2),
        metric("cue-edge lateness max, sim at 1x", late_max, "ms"),
        metric(
            "edges off the rule timeline (kind/block/group), sim at 1x",
            mismatched,
            "edges",
            "0",
            mismatched == 0,
        ),
        metric(
            "trace time stamps vs rule times, max disagreement with late_ms",
            stamp_err,
            "ms",
            "<= 1",
            stamp_err <= 1,
        ),
        metric(
            "drift at the END edge of pmr-17, virtual clock, irregular 1-23 ms ticks",
            drift_last,
            "ms",
            "0",
            drift_last == 0,
        ),
        metric(
            "drift, any edge of pmr-17 (scheduled vs timeline.edges)",
            drift_max,
            "ms",
            "0",
            drift_max == 0,
        ),
        metric(
            "pmr-17 edges equal to timeline.edges and session done",
            int(drift_same),
            "bool",
            "1",
            drift_same,
        ),
        metric(
            "lateness max with 1-23 ms ticks (bounded by the tick step)",
            drift_late,
            "ms",
            "<= 23",
            drift_late <= 23,
        ),
    ]
