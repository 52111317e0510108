"""Heap the firmware's code takes on the simulated device: from .mpy files and from ROMFS.

Each layout is installed with `ontspan install` into a sim booting from its flash
(with a ROMFS partition for the second), booted, then interrupted at the REPL:
after a collect, what stays allocated is the loaded modules and their
module-level data (the app's objects are gone with its frame). The ROM
partition buffer the unix port keeps on its heap is left out.

The goals are the Pico's (rp2 port, 32-bit). The sim's unix port is 64-bit:
its objects and pointers are twice as wide, so its figures run about twice the
Pico's (measured on the rp2 port: 50 KB from files, 25 KB from ROMFS). The
sim's figures are compared with the goals at twice their size. The bytes ROMFS
saves (bytecode and constants left in flash) hardly depend on the word size:
25 KB on the rp2 port.

Per module: each firmware module loaded from .mpy files in the order app.py
loads them, with what it pulls in, so a trim can be aimed. The table buffer
(8 KB, in storage) is the same size on both ports.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ontspan.device import build, install
from ontspan.device.arch import unix_port_arch
from ontspan.device.client import Link
from ontspan.mpy import run_code
from ontspan.paths import FIRMWARE_DIR
from ontspan.sim.device import HEAPSIZE, SimDevice

from bench.common import metric

GOALS = {"files": 40 * 1024, "romfs": 24 * 1024}  # on the Pico
WORD_SCALE = 2  # 64-bit sim against the 32-bit rp2 port
_MEASURE = (
    "import gc, sys\n"
    "gc.collect()\n"
    "r = sys.modules.get('hal_simrom')\n"
    "print('HEAP', gc.mem_alloc() - (r.RESERVED if r else 0), len(sys.modules))"
)


def _hello(port: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with Link(port) as lk:
                lk.hello(retries=1)
                return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"bench heap: no HELLO on {port}")


def _heap_in_use(port: str) -> tuple[int, int]:
    out = subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", port, "resume", "exec", _MEASURE],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    line = next(ln for ln in out.splitlines() if ln.startswith("HEAP "))
    _, used, modules = line.split()
    return int(used), int(modules)


def measure(layout: str) -> tuple[int, int]:
    with tempfile.TemporaryDirectory(prefix="ontspan-bench-heap-") as tmp:
        rom = 128 * 1024 if layout == "romfs" else 0
        with SimDevice(Path(tmp), speed=10, boot_from_flash=True, romfs_bytes=rom) as dev:
            _hello(dev.port)
            install.install(dev.port, romfs=layout == "romfs")
            _hello(dev.port)
            time.sleep(0.5)  # past the boot animation: the app is idle in its loop
            return _heap_in_use(dev.port)


# Each module in the order app.py loads them, with what it pulls in: its bytecode,
# constants, names and module-level buffers after a collect (from .mpy files).
_PER_MODULE = """
import gc, sys
gc.collect()
prev = gc.mem_alloc()
seen = set(sys.modules)
for m in %r:
    __import__(m)
    gc.collect()
    a = gc.mem_alloc()
    print("MOD", m, a - prev, "+".join(k for k in sys.modules if k not in seen) or "-")
    seen = set(sys.modules)
    prev = a
"""
_ORDER = (
    "storage ticks daynight pixels light touch motor engine hal gestures ui session buttons"
    " logbook plan reminder link planlink feel service faults app hal_rp2"
).split()
# hal_rp2 last, on the tests' machine/neopixel stand-ins: the Pico's HAL in place of the
# sim's (hal_sim, loaded by hal here, is several times larger)
_STAND_INS = str(Path(__file__).resolve().parents[1] / "tests" / "mp" / "quiet_rp2")


def per_module() -> list[dict]:
    """Heap each module takes when loaded from .mpy files (the sim's HAL in place of the rp2 one)."""
    with tempfile.TemporaryDirectory(prefix="ontspan-bench-mods-") as tmp:
        build.build(FIRMWARE_DIR, Path(tmp), unix_port_arch())
        res = run_code(_PER_MODULE % (_ORDER,), path=[tmp, _STAND_INS], heapsize=HEAPSIZE)
    if not res.ok:
        raise SystemExit(f"bench heap: per-module run failed: {res.output[-500:]}")
    out = []
    for line in res.stdout.splitlines():
        if line.startswith("MOD "):
            _, name, used, loaded = line.split()
            extra = [m for m in loaded.split("+") if m not in (name, "-")]
            note = f" (with {', '.join(extra)})" if extra else ""
            out.append(metric(f"heap of module {name}{note}", int(used), "bytes"))
    return out


def run(quick: bool = False) -> list[dict]:
    """Both layouts once: an install is the unit, so quick and full are the same."""
    out = []
    used = {}
    for layout, goal in GOALS.items():
        used[layout], modules = measure(layout)
        sim_goal = goal * WORD_SCALE
        out.append(metric(f"heap in use after boot, {layout}", used[layout], "bytes",
                          f"<= {sim_goal // 1024} KB", used[layout] <= sim_goal))  # fmt: skip
        out.append(metric(f"modules loaded, {layout}", modules, "modules"))
    saved = used["files"] - used["romfs"]
    out.append(metric("heap saved by ROMFS", saved, "bytes", ">= 20 KB", saved >= 20 * 1024))
    return out + per_module()
