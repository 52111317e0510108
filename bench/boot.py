"""Boot to idle under MicroPython, from .py sources and from .mpy (as installed), and heap after boot."""

import statistics
import tempfile

from ontspan.device.arch import unix_port_arch
from ontspan.device.build import build as build_firmware
from ontspan.mpy import run_code
from ontspan.paths import FIRMWARE_DIR

from .common import PICO_FREE_HEAP, REPO, metric

RUNS = 7  # boots per variant, the median is reported (1 with --quick)
CODE = """
import time, gc
t = time.ticks_us()
import app
dev = app.boot()
dt = time.ticks_diff(time.ticks_us(), t)
gc.collect()
print(dt, gc.mem_alloc())
"""


def _boot(path: list[str], state: str, runs: int) -> tuple[list[float], list[int]]:
    times, heaps = [], []
    for _ in range(runs):
        res = run_code(CODE, path=path, env={"ONTSPAN_SIM_STATE": state}, heapsize=PICO_FREE_HEAP)
        if not res.ok:
            raise SystemExit(f"bench boot failed:\n{res.output}")
        us, heap = res.stdout.split()[-2:]
        times.append(int(us) / 1000)
        heaps.append(int(heap))
    return times, heaps


def run(quick: bool = False) -> list[dict]:
    runs = 1 if quick else RUNS
    build = REPO / "build" / "firmware-bench"
    build.mkdir(parents=True, exist_ok=True)
    build_firmware(FIRMWARE_DIR, build, unix_port_arch())  # the .mpy files `ontspan install` ships
    with tempfile.TemporaryDirectory() as state:
        py_t, py_heap = _boot([], state, runs)
        # firmware/ is always on the path: put the .mpy directory first
        mpy_t, mpy_heap = _boot([str(build)], state, runs)
    heap = max(py_heap)
    return [
        metric("boot to idle from .py (median)", round(statistics.median(py_t), 1), "ms"),
        metric("boot to idle from .mpy (median)", round(statistics.median(mpy_t), 1), "ms"),
        metric("heap in use after boot (.py, 64-bit unix port)", heap, "bytes", "< 32768", heap < 32768),
        metric("heap in use after boot (.mpy, 64-bit unix port)", max(mpy_heap), "bytes", "< 32768", max(mpy_heap) < 32768),
    ]
