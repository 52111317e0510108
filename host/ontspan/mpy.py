"""Run firmware code under the real MicroPython unix port and collect its output."""

import os
import subprocess
from dataclasses import dataclass

from .paths import FIRMWARE_DIR, micropython_binary

# The heap the firmware runs in on the sim and in the tests: a Pico leaves ~190 KiB
# free with the firmware running (a 240 KiB heap); the 64-bit unix port's objects are
# about twice as large, so this heap leaves the firmware about the same free heap.
HEAP_KIB = 310
HEAPSIZE = f"{HEAP_KIB}K"


@dataclass
class MpyResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        # the unix port prints uncaught tracebacks on stdout
        return self.returncode == 0 and "Traceback (most recent call last)" not in self.output

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def micropython_env(path: list[str] | None = None) -> dict[str, str]:
    """The environment firmware code runs in: `path` searched first, then firmware/."""
    dirs = [*(path or []), str(FIRMWARE_DIR), ".frozen"]
    return dict(os.environ, MICROPYPATH=":".join(dirs))


def run_code(
    code: str,
    *,
    path: list[str] | None = None,
    env: dict[str, str] | None = None,
    heapsize: str = "2M",
    timeout: float = 60.0,
    stdin: bytes | None = None,
) -> MpyResult:
    """Run `code` under MicroPython with `path` (searched first) and firmware/ on its import path."""
    full_env = dict(micropython_env(path), **(env or {}))
    proc = subprocess.run(
        [micropython_binary(), "-X", f"heapsize={heapsize}", "-c", code],
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=timeout,
    )
    return MpyResult(
        proc.returncode,
        proc.stdout.decode(errors="replace"),
        proc.stderr.decode(errors="replace"),
    )
