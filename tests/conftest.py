"""Shared fixtures: firmware code under real MicroPython, and simulated devices."""

import os
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
def _private_data_dirs(tmp_path_factory, monkeypatch):
    """Tests never touch the user's archive or stored protocol names."""
    base = tmp_path_factory.mktemp("userdata")
    monkeypatch.setenv("ONTSPAN_DATA", str(base / "data"))
    monkeypatch.setenv("ONTSPAN_ARCHIVE", str(base / "archive.sqlite3"))


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
