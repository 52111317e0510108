"""Shared fixtures: firmware code under real MicroPython, and simulated devices."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from ontspan.mpy import MpyResult, run_code

# no per-example time limit, no "generation too slow": a loaded machine must not fail a property
settings.register_profile("ontspan", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ontspan")

TESTS = Path(__file__).parent
MP_HELPERS = str(TESTS / "mp")
VECTORS = TESTS / "vectors"


# The user's real ontspan folders (before the redirect below), and any write this
# run tried there.
REAL_USER_FOLDERS: list[Path] = []
WRITES_REFUSED: list[str] = []
_PRIVATE_HOME: list[Path] = []
# every variable through which a test or a process it starts could find the user's folders
_REDIRECTED = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
               "ONTSPAN_DATA", "ONTSPAN_ARCHIVE")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def in_real_user_folder(path: object) -> bool:
    if not isinstance(path, str | bytes | os.PathLike):
        return False
    try:
        p = Path(os.fsdecode(path)).resolve()
    except (OSError, ValueError):
        return False
    return any(p == r or p.is_relative_to(r) for r in REAL_USER_FOLDERS)


def _refuse_real_writes(event: str, args: tuple) -> None:
    """Audit hook: a write, a new folder or an SQLite file in the user's folders fails
    where it is tried (the machine is shared: watching the folders would also see
    other runs' files, so this run's own attempts are what count)."""
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
    elif event in ("os.mkdir", "sqlite3.connect", "os.rename", "os.remove", "shutil.rmtree"):
        path, writing = args[0], True
    else:
        return
    if writing and in_real_user_folder(path):
        WRITES_REFUSED.append(os.fsdecode(path))
        raise PermissionError(f"tests must not write the user's folders: {os.fsdecode(path)}")


def pytest_configure(config):
    """Before any fixture (module- and session-scoped ones too) and any process a test
    starts: HOME, the XDG folders and ontspan's data and archive paths point at a
    temporary home. Tests never touch the user's archive or stored protocol names;
    in this process a write there is refused (the processes tests start inherit the
    redirect: test_user_folders.py checks)."""
    from platformdirs import user_data_dir

    REAL_USER_FOLDERS[:] = [Path(user_data_dir("ontspan", appauthor=False)).resolve()]
    REAL_USER_FOLDERS.extend(Path(os.environ[k]).resolve() for k in ("ONTSPAN_DATA", "ONTSPAN_ARCHIVE")
                             if os.environ.get(k))
    home = Path(tempfile.mkdtemp(prefix="ontspan-tests-home-"))
    _PRIVATE_HOME[:] = [home]
    private = {k: str(home / k.lower()) for k in _REDIRECTED}
    private.update(HOME=str(home), ONTSPAN_ARCHIVE=str(home / "archive.sqlite3"))
    os.environ.update(private)
    if not getattr(sys, "_ontspan_audit", False):  # an audit hook stays for the process
        sys.addaudithook(_refuse_real_writes)
        sys._ontspan_audit = True  # type: ignore[attr-defined]


def pytest_sessionfinish(session, exitstatus):
    """A write there that something swallowed still fails the run."""
    if WRITES_REFUSED:
        print(f"\ntests tried to write into the user's folders: {', '.join(WRITES_REFUSED)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config):
    for home in _PRIVATE_HOME:
        shutil.rmtree(home, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """`hardware` tests run against the device on ONTSPAN_PORT, or are skipped."""
    if os.environ.get("ONTSPAN_PORT"):
        return
    skip = pytest.mark.skip(reason="needs a device: set ONTSPAN_PORT (see tests/test_hardware.py)")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


class MicroPython:
    """Runs snippets under the MicroPython unix port with firmware/ and tests/mp/ importable."""

    def run(self, code: str, path: list[str] | None = None, **kw) -> MpyResult:
        return run_code(code, path=[*(path or []), MP_HELPERS], **kw)

    def check(self, code: str, **kw) -> str:
        """Run `code`; fail the test with MicroPython's traceback if it raised. Returns stdout."""
        res = self.run(code, **kw)
        if not res.ok:
            pytest.fail(f"MicroPython failed (rc={res.returncode}):\n{res.stdout}\n{res.stderr}")
        return res.stdout


@pytest.fixture(autouse=True)
def _private_data_dirs(monkeypatch):
    """Each test its own archive and stored protocol names, inside the run's private
    home (pytest_configure)."""
    base = Path(tempfile.mkdtemp(prefix="userdata-", dir=_PRIVATE_HOME[0]))
    monkeypatch.setenv("ONTSPAN_DATA", str(base / "data"))
    monkeypatch.setenv("ONTSPAN_ARCHIVE", str(base / "archive.sqlite3"))


# The firmware runs from source here, and the rooms it loads at events (table check,
# cue room) are compiled then, in the heap the app has already cut up: the compiler
# needs blocks a Pico loading .mpy files never asks for. This much more heap is theirs.
_COMPILE_KIB = 48


def run_on_rp2_board(mpy, code: str, state_dir, heapsize: str) -> str:
    """`code` under MicroPython with the firmware's rp2 hal over quiet machine and
    neopixel stand-ins (tests/mp/quiet_rp2), its flash image in state_dir and no input,
    in a heap of `heapsize` ("310K") and the compiler's share; its stdout, once it is
    known to have run to the end."""
    heap = f"{int(heapsize.rstrip('K')) + _COMPILE_KIB}K"
    res = mpy.run(code, path=[MP_HELPERS + "/quiet_rp2"], env={"ONTSPAN_SIM_STATE": str(state_dir)},
                  heapsize=heap, stdin=b"")
    assert res.ok, res.output[-3000:]
    return res.stdout


@pytest.fixture(scope="session")
def mpy() -> MicroPython:
    return MicroPython()


@pytest.fixture
def make_sim(tmp_path):
    """Start simulated devices (real firmware, MicroPython, pty); all stopped at teardown."""
    from ontspan.sim.device import SimDevice

    started: list[SimDevice] = []

    def make(name: str = "dev", **kw) -> SimDevice:
        kw.setdefault("trace", True)
        dev = SimDevice(tmp_path / name, **kw).start()
        started.append(dev)
        return dev

    yield make
    for dev in started:
        dev.stop()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; fail the test on timeout.

    The timeout only bounds the wait for something that should happen (generous, so
    a busy machine never fails a test); it never judges how fast it happened."""
    from ontspan.sim.device import poll_until

    value = poll_until(predicate, timeout, interval)
    if value is None:
        pytest.fail(f"timed out after {timeout}s waiting for {getattr(predicate, '__name__', predicate)}")
    return value


def hello_or_none(port: str):
    """HELLO from the device on `port`, or None while it is still booting."""
    from ontspan.device.client import Link
    from ontspan.errors import OntspanError

    try:
        with Link(port) as lk:
            return lk.hello(retries=1)
    except OntspanError:
        return None
