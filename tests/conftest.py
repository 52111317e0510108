"""Shared fixtures: firmware code under real MicroPython, and simulated devices."""

import os
import shutil
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


# Where the user's things live, and what is in them, before the redirect below.
REAL_USER_FOLDERS: list[Path] = []
_REAL_BEFORE: dict[Path, tuple[int, int]] = {}
_PRIVATE_HOME: list[Path] = []
# every variable through which a test or a process it starts could find the user's folders
_REDIRECTED = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
               "ONTSPAN_DATA", "ONTSPAN_ARCHIVE")


def real_user_files() -> dict[Path, tuple[int, int]]:
    """Every file under the user's real ontspan folders: path -> (size, mtime)."""
    seen = {}
    for root in REAL_USER_FOLDERS:
        for p in [root] if root.is_file() else root.rglob("*"):
            if p.is_file():
                st = p.stat()
                seen[p] = (st.st_size, st.st_mtime_ns)
    return seen


def pytest_configure(config):
    """Before any fixture (module- and session-scoped ones too) and any process a test
    starts: HOME, the XDG folders and ontspan's data and archive paths point at a
    temporary home. Tests never touch the user's archive or stored protocol names."""
    from platformdirs import user_data_dir

    REAL_USER_FOLDERS[:] = [Path(user_data_dir("ontspan", appauthor=False))]
    REAL_USER_FOLDERS.extend(Path(os.environ[k]) for k in ("ONTSPAN_DATA", "ONTSPAN_ARCHIVE")
                             if os.environ.get(k))
    _REAL_BEFORE.update(real_user_files())
    home = Path(tempfile.mkdtemp(prefix="ontspan-tests-home-"))
    _PRIVATE_HOME[:] = [home]
    private = {k: str(home / k.lower()) for k in _REDIRECTED}
    private.update(HOME=str(home), ONTSPAN_ARCHIVE=str(home / "archive.sqlite3"))
    os.environ.update(private)


def real_user_folders_changed() -> list[str]:
    """What appeared in or changed under the user's real folders since the run began."""
    now = real_user_files()
    return sorted(str(p) for p, st in now.items() if _REAL_BEFORE.get(p) != st)


def pytest_sessionfinish(session, exitstatus):
    """The whole run, checked once more at its end: a run that wrote there fails."""
    changed = real_user_folders_changed()
    if changed:
        print(f"\ntests wrote into the user's folders: {', '.join(changed)}")
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


@pytest.fixture(scope="session")
def mpy() -> MicroPython:
    return MicroPython()


@pytest.fixture
def make_sim(tmp_path):
    """Start simulated devices (real firmware, MicroPython, pty); all stopped at teardown."""
    from ontspan.sim import SimDevice

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
    from ontspan.sim import poll_until

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
