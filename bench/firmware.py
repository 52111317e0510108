"""Firmware dependability: 1,000 reflashes and short sessions at a Pico-sized heap
(heap free before and after), and the time the app takes to come back after a fault."""

import sys
import tempfile
import time
from pathlib import Path

from ontspan.device.client import Link
from ontspan.mpy import run_code
from ontspan.sim.device import SimDevice

from .common import PICO_FREE_HEAP, metric

ROUNDS = 1000
HEAP = PICO_FREE_HEAP
RESTARTS = 2  # a third fault within a minute leaves the device at the REPL, by design
REPO = Path(__file__).resolve().parent.parent
MP_HELPERS = str(REPO / "tests" / "mp")


def _tables(folder: Path) -> list[str]:
    sys.path.insert(0, str(REPO / "tests" / "fw"))
    sys.path.insert(0, str(REPO / "tests"))
    from test_app_memory import tables

    paths = []
    for i, t in enumerate(tables()):
        p = folder / f"t{i}.bin"
        p.write_bytes(t)
        paths.append(str(p))
    return paths


def _reflash(rounds: int) -> tuple[int, int, list[int]]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = _tables(Path(tmp))
        state = Path(tmp) / "state"
        state.mkdir()
        res = run_code(
            f"import reflash\nreflash.run({paths!r}, {rounds}, every=50)",
            path=[MP_HELPERS],
            env={"ONTSPAN_SIM_STATE": str(state), "ONTSPAN_SIM_SPEED": "100"},
            heapsize=HEAP,
            timeout=1800,
        )
    if not res.ok:
        raise SystemExit(f"bench firmware: reflash run failed:\n{res.output[-2000:]}")
    lines = res.stdout.split("\n")
    done = next(ln.split() for ln in lines if ln.startswith("done"))
    free = [int(ln.split()[2]) for ln in lines if ln.startswith("heap")]
    return int(done[2]), int(done[4]), free


def _hello(port: str) -> bool:
    try:
        with Link(port) as lk:
            lk.hello(retries=0)
        return True
    except Exception:
        return False


def _restart_s() -> list[float]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        sim = SimDevice(Path(tmp) / "sim", speed=1, trace=True).start()
        try:
            while not _hello(sim.port):
                time.sleep(0.05)
            for _ in range(RESTARTS):
                n = len(sim.trace_lines())
                t0 = time.monotonic()
                sim.inject_fault()
                # back: the new app's board traced its boot line and answers HELLO
                while not any(ln.endswith(" boot") for ln in sim.trace_lines()[n:]):
                    time.sleep(0.005)
                t_boot = time.monotonic()
                while not _hello(sim.port):
                    time.sleep(0.01)
                out.append((t_boot - t0, time.monotonic() - t0))
        finally:
            sim.stop()
    return out


def run(quick: bool = False) -> list[dict]:
    rounds = 60 if quick else ROUNDS
    ok, sessions, free = _reflash(rounds)
    restarts = _restart_s()
    boot = max(b for b, _ in restarts)
    answer = max(a for _, a in restarts)
    return [
        metric("reflashes in a row that succeeded", ok, "count", f"= {rounds}", ok == rounds),
        metric("short sessions logged between them", sessions, "count", f"= {rounds}", sessions == rounds),
        metric(f"heap free after round 0 ({HEAP} heap, 64-bit unix port)", free[0], "bytes"),
        metric(f"heap free after {rounds} reflashes", free[-1], "bytes", ">= first - 2048",
               free[-1] >= free[0] - 2048),
        metric("lowest heap free seen (every 50 rounds)", min(free), "bytes"),
        metric("restart after an injected fault: app booted (worst of 2)", round(boot * 1000), "ms", "< 2000",
               boot < 2.0),
        metric("restart after an injected fault: HELLO answered (worst of 2)", round(answer * 1000), "ms",
               "< 2000", answer < 2.0),
    ]
