"""Which machine code a device runs: the firmware's byte loops (firmware/frame.py) are
viper, compiled by mpy-cross for one architecture. A MicroPython says its own in
sys.implementation._mpy (bits 10 and up: the native architecture it loads, 0 for
none); the names are mpy-cross's -march values, in MicroPython's own order."""

from __future__ import annotations

import functools
import subprocess

from ..errors import OntspanError
from ..paths import micropython_binary

ARCHS = ("", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
         "xtensa", "xtensawin", "rv32imc", "rv64imc")
PICO = "armv6m"  # RP2040 (Cortex-M0+): what `make firmware` builds


def arch_of(mpy: int) -> str:
    """The -march name of a sys.implementation._mpy value; refuses one without native code."""
    code = mpy >> 10
    name = ARCHS[code] if 0 < code < len(ARCHS) else ""
    if not name:
        raise OntspanError(
            f"this MicroPython loads no native code (sys.implementation._mpy architecture {code}): "
            f"Ontspan's firmware needs one mpy-cross builds for ({', '.join(ARCHS[1:])}); "
            "a Pico's official MicroPython has it (armv6m)"
        )
    return name


@functools.cache
def unix_port_arch() -> str:
    """The architecture of the MicroPython unix port the simulated device runs on."""
    try:
        out = subprocess.run(
            [micropython_binary(), "-c", "import sys; print(sys.implementation._mpy)"],
            capture_output=True, text=True, timeout=30,
        ).stdout
        return arch_of(int(out.strip()))
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        raise OntspanError(f"cannot ask the MicroPython unix port its architecture: {e}") from None
