"""Install the firmware on a device with mpremote, so that no cut leaves it unbootable.

Modules are compiled to .mpy (build.py) for the device's architecture, which
the install probe asks it (sys.implementation._mpy). Every file goes to a staging
folder on the device first; one short step then renames them into place, main.py last, and removes stale
.py copies that would shadow the new .mpy. A copy cut off half-way leaves only
the staging folder, which the next install clears. A soft reset then boots
the new firmware and HELLO confirms its version.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import OntspanError
from ..paths import FIRMWARE_DIR
from .arch import arch_of
from .build import build, firmware_version, mpy_cross, mpy_cross_version
from .client import Link, open_serial
from .replies import Hello

STAGING = ".install"  # folder under the device's filesystem root
MPREMOTE_TIMEOUT = 120.0  # a full install over USB takes a few seconds
BOOT_TIMEOUT = 20.0  # soft reset until the new firmware answers HELLO

# runs on the device: what it is, its ROMFS partition size (0: none), where its
# filesystem is, what is on it
_PROBE = """\
import sys, os, vfs
rom = 0
try:
    if vfs.rom_ioctl(1) > 0:
        d = vfs.rom_ioctl(2, 0)
        rom = d.ioctl(4, 0) * d.ioctl(5, 0) if hasattr(d, 'ioctl') else len(d)
except Exception:
    pass
r = '/' if sys.platform == 'rp2' else '/flash'
print('ONTSPAN-PROBE', sys.platform, getattr(sys.implementation, '_mpy', 0), rom, r, ' '.join(os.listdir(r)))
"""


@dataclass(frozen=True)
class Target:
    platform: str  # 'rp2' on a Pico, 'linux' on the simulated device
    mpy: int  # sys.implementation._mpy: .mpy version (bits 0-7), native architecture (10 up); 0: unknown
    romfs_bytes: int  # size of ROMFS partition 0; 0: the firmware has no ROMFS
    root: str  # filesystem root: '/' on a Pico, '/flash' on the sim
    files: tuple[str, ...]

    @property
    def mpy_version(self) -> int:
        return self.mpy & 0xFF

    def path(self, name: str) -> str:
        return self.root.rstrip("/") + "/" + name


def _mpremote(port: str, args: list[str], on_line: Callable[[str], None] | None = None) -> str:
    """Run one mpremote session on `port` (without a soft reset when it connects:
    the simulated device's unix port would end on one); its stdout."""
    cmd = [sys.executable, "-m", "mpremote", "connect", port, "resume", *args]
    try:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace"
        )
    except OSError as e:
        raise OntspanError(f"cannot run mpremote: {e}") from e
    lines: list[str] = []
    timed_out = threading.Event()

    def expire() -> None:  # a hung device never hangs the install
        timed_out.set()
        proc.kill()

    watchdog = threading.Timer(MPREMOTE_TIMEOUT, expire)
    watchdog.start()
    assert proc.stdout is not None and proc.stderr is not None
    try:
        for line in proc.stdout:
            lines.append(line)
            if on_line:
                on_line(line.rstrip("\n"))
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:  # interrupted (Ctrl-C): leave nothing running
            proc.kill()
            proc.wait()
    if timed_out.is_set():
        raise OntspanError(f"mpremote on {port} took longer than {MPREMOTE_TIMEOUT:.0f} s")
    err = proc.stderr.read().strip()
    if proc.returncode != 0:
        last = err.splitlines()[-1] if err else f"exit code {proc.returncode}"
        if "could not enter raw repl" in err.lower():
            last = "the device did not give its REPL (is it a MicroPython board?)"
        raise OntspanError(f"mpremote on {port}: {last.removeprefix('mpremote: ')}")
    return "".join(lines)


def probe(port: str) -> Target:
    """Interrupt whatever runs (Ctrl-C) and ask the device what it is."""
    out = _mpremote(port, ["exec", _PROBE])
    for line in out.splitlines():
        if line.startswith("ONTSPAN-PROBE "):
            parts = line.split()
            return Target(parts[1], int(parts[2]), int(parts[3]), parts[4], tuple(parts[5:]))
    raise OntspanError(f"the device on {port} did not answer the install probe")


# modules no device imports: devicecontract.py documents what the link handlers ask
# of the device, for the tests' fake device (the app does not import it); logfields.py
# reads a record's fields back, for the tests and the bench
NEVER_INSTALLED = frozenset({"devicecontract", "logfields"})
SIM_ONLY = "hal_sim"  # hal_sim*.py: the simulated board (MicroPython's unix port) alone
# the protocol table: firmware before the table's directory kept it at the root
OLD_TABLE, TABLE_DIR = "table.bin", "protocols"


def runs_on(target: Target, module: Path) -> bool:
    """Does `target` ever import this compiled module? A Pico (rp2) imports hal_rp2, not
    the simulated board's modules; no device imports devicecontract or logfields."""
    name = module.name.rsplit(".", 1)[0]
    if name in NEVER_INSTALLED:
        return False
    return target.platform == "linux" or not name.startswith(SIM_ONLY)


def _move_old_table(target: Target) -> str:
    old, new = json.dumps(target.path(OLD_TABLE)), json.dumps(target.path(f"{TABLE_DIR}/{OLD_TABLE}"))
    return (
        "try:\n"
        f"    os.mkdir({json.dumps(target.path(TABLE_DIR))})\n"
        "except OSError:\n"
        "    pass\n"
        "try:\n"
        f"    os.stat({new})\n"
        "except OSError:\n"
        f"    os.rename({old}, {new})\n"
        "else:\n"
        f"    os.remove({old})  # the directory has the live table\n"
    )


def _finish_script(
    target: Target, names: list[str], in_rom: list[str], dropped: Sequence[str] = ()
) -> str:
    """Device code: move the staged files into place (main.py last); drop stale copies that
    would shadow them: .py twins of new .mpy files, and flash copies of modules now in ROMFS;
    and what an older install left that this target never imports (`dropped`). A table
    older firmware kept at the root moves into the table's directory (firmware/storage.py),
    in one rename: a cut leaves it in one place or the other."""
    moves = [(target.path(f"{STAGING}/{n}"), target.path(n)) for n in names]
    shadows = [n[:-4] + ".py" for n in names if n.endswith(".mpy")]
    shadows += [m for n in in_rom for m in (n, n[:-4] + ".py")]
    shadows += [m for n in dropped for m in (n, n[:-4] + ".py")]
    stale = [target.path(n) for n in shadows if n in target.files]
    return (
        "import os\n"
        f"for a, b in {json.dumps(moves)}:\n"
        "    os.rename(a, b)\n"
        f"for p in {json.dumps(stale)}:\n"
        "    os.remove(p)\n"
        + (_move_old_table(target) if OLD_TABLE in target.files else "")
        + f"os.rmdir({json.dumps(target.path(STAGING))})\n"
        "print('ONTSPAN-INSTALLED')\n"
    )


def romfs_image(modules: list[Path]) -> bytes:
    """A ROMFS image of compiled modules (mpremote's own image writer), flat like /rom."""
    from mpremote.romfs import VfsRomWriter

    rom = VfsRomWriter()
    for m in sorted(modules):
        rom.mkfile(m.name, m.read_bytes())
    return rom.finalise()


def _clear_staging_script(target: Target) -> str:
    """Device code: an empty staging folder (a cut-off install may have left files in it)."""
    d = json.dumps(target.path(STAGING))
    return (
        "import os\n"
        f"d = {d}\n"
        "try:\n"
        "    for n in os.listdir(d):\n"
        "        os.remove(d + '/' + n)\n"
        "except OSError:\n"
        "    os.mkdir(d)\n"
    )


BUSY_TEXT = (
    "install refused: a session is playing, paused or waiting for a rating on the device; "
    "let it finish, stop it (ontspan stop) or install --force to stop it first"
)


def wait_its_turn(port: str, *, force: bool = False, trace: bool = False,
                  say: Callable[[str], None] = lambda _m: None) -> None:
    """Refuse while the device's firmware plays a session or waits for a rating, as a
    flash is refused (the busy guard): the probe's Ctrl-C would cut the session, logged
    as cut by power. With `force`, STOP it first: its END record says "stopped".
    A device whose firmware does not answer (broken, or not Ontspan) has nothing to lose."""
    try:
        with Link(port, trace=trace) as lk:
            lk.hello(retries=1)
            busy = lk.status().in_session
            if busy and force:
                lk.stop()
                busy = lk.status().in_session
                say("the session on the device was stopped first (logged as stopped)")
    except OntspanError:
        return
    if busy:
        raise OntspanError(BUSY_TEXT)


def check_port_free(port: str) -> None:
    """Fail early with the link's one-line message when the port is missing or busy."""
    open_serial(port).close()


def soft_reset(port: str) -> None:
    """Ctrl-C then Ctrl-D at the friendly REPL: a Pico soft-resets and runs main.py;
    the simulated device's unix port ends and its launcher boots it again."""
    ser = open_serial(port)
    try:
        ser.write(b"\r\x03\x03")
        time.sleep(0.2)
        ser.write(b"\x04")
        ser.flush()
        time.sleep(0.2)
    finally:
        ser.close()


def confirm(port: str, trace: bool = False, timeout: float = BOOT_TIMEOUT) -> Hello:
    """HELLO until the freshly booted firmware answers (it boots in a second or two)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with Link(port, trace=trace) as lk:
                return lk.hello(retries=2)
        except OntspanError as e:
            last = e
            time.sleep(0.3)
    raise OntspanError(
        f"firmware installed, but it did not answer after a reset ({last}); "
        "check the device's REPL with `mpremote connect PORT`"
    )


def install(
    port: str,
    src: Path = FIRMWARE_DIR,
    *,
    trace: bool = False,
    progress: Callable[[str], None] | None = None,
    say: Callable[[str], None] = lambda _m: None,
    romfs: bool | None = None,
    force: bool = False,
) -> Hello:
    """Build, copy, rename into place, soft-reset, confirm; returns the new firmware's HELLO.

    romfs: None deploys the modules as a ROMFS image when the device's MicroPython has a
    ROMFS partition (code then runs from flash, not RAM) and as .mpy files otherwise;
    True insists on ROMFS, False on files (and empties a ROMFS partition that would shadow them).
    force: stop a session or rating in progress first (else the install is refused).
    """
    check_port_free(port)
    wait_its_turn(port, force=force, trace=trace, say=say)
    expected = firmware_version(src)
    with tempfile.TemporaryDirectory(prefix="ontspan-fw-") as tmp:
        target = probe(port)
        have = mpy_cross_version(mpy_cross())
        if target.mpy_version and have and target.mpy_version != have:
            raise OntspanError(
                f"the device's MicroPython reads .mpy v{target.mpy_version}, mpy-cross writes "
                f"v{have}: update MicroPython on the device (tested: v1.28)"
            )
        march = arch_of(target.mpy)  # refuses a MicroPython that loads no native code
        files = build(src, Path(tmp), march)
        say(f"compiled {len(files) - 1} module(s) to .mpy for {march}")
        use_rom = bool(target.romfs_bytes) if romfs is None else romfs
        if use_rom and not target.romfs_bytes:
            raise OntspanError(
                "--romfs: this device's MicroPython has no ROMFS partition (see docs/firmware.md "
                "to build one that has); install without --romfs to use .mpy files"
            )
        dropped = [f.name for f in files if not runs_on(target, f)]
        files = [f for f in files if runs_on(target, f)]
        modules = [f for f in files if f.name != "main.py"]
        rom_steps: list[str] = []
        if use_rom:
            image = romfs_image(modules)
            if len(image) > target.romfs_bytes:
                raise OntspanError(
                    f"the firmware's ROMFS image is {len(image)} bytes; the device's partition "
                    f"holds {target.romfs_bytes}: use --no-romfs or a larger partition"
                )
            say(f"device: {target.platform} with a {target.romfs_bytes // 1024} KiB ROMFS "
                f"partition: {len(modules)} modules as a {len(image)}-byte image, run from flash")
            copy = [f for f in files if f not in modules]
        elif target.romfs_bytes:
            image = romfs_image([])  # an empty ROMFS: old modules there must not shadow the files
            say(f"device: {target.platform}; emptying its ROMFS partition, modules as .mpy files")
            copy = files
        else:
            image = b""
            say(f"device: {target.platform}, filesystem at {target.root}")
            copy = files
        if image:
            img = Path(tmp) / "ontspan.romfs"
            img.write_bytes(image)
            # On a Pico, a module imported from ROMFS keeps its names (interned strings)
            # in the image itself: after the probe's Ctrl-C the old firmware's modules
            # are still loaded, and erasing the partition under them corrupted every
            # name they share with mpremote's deploy (`dev`: "NameError: name 'dev'
            # isn't defined", the deploy cut off half-way). A soft reset first (main.py
            # does not run under the raw REPL) leaves nothing of the old image in use.
            # The simulated device's unix port would end on one; its image is not mapped.
            reset = ["soft-reset"] if target.platform == "rp2" else []
            rom_steps = [*reset, "romfs", "deploy", str(img), "+"]
        names = [f.name for f in copy]
        staging = ":" + target.path(STAGING) + "/"

        def on_line(line: str) -> None:
            if progress and line.startswith("cp "):
                progress(line.split()[1].rsplit("/", 1)[-1])

        out = _mpremote(
            port,
            [
                *rom_steps,
                "exec", _clear_staging_script(target),
                "+", "cp", *[str(f) for f in copy], staging,
                "+", "exec", _finish_script(
                    target, names, [m.name for m in modules] if use_rom else [], dropped),
            ],
            on_line,
        )  # fmt: skip
        if "ONTSPAN-INSTALLED" not in out:
            raise OntspanError("the files were copied but not moved into place; run install again")
    soft_reset(port)
    hello = confirm(port, trace)
    if expected and hello.firmware != expected:
        raise OntspanError(
            f"installed firmware {expected}, but the device reports {hello.firmware}: "
            "it may still run older files; run install again"
        )
    return hello

