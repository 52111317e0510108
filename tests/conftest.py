"""Shared fixtures: firmware code under real MicroPython, and simulated devices."""

from pathlib import Path

import pytest

from ontspan.mpy import MpyResult, run_code

TESTS = Path(__file__).parent
MP_HELPERS = str(TESTS / "mp")
VECTORS = TESTS / "vectors"


class MicroPython:
    """Runs snippets under the MicroPython unix port with firmware/ and tests/mp/ importable."""

    def run(self, code: str, **kw) -> MpyResult:
        return run_code(code, path=[MP_HELPERS], **kw)

    def check(self, code: str, **kw) -> str:
        """Run `code`; fail the test with MicroPython's traceback if it raised. Returns stdout."""
        res = self.run(code, **kw)
        if not res.ok:
            pytest.fail(f"MicroPython failed (rc={res.returncode}):\n{res.stdout}\n{res.stderr}")
        return res.stdout


@pytest.fixture(scope="session")
def mpy() -> MicroPython:
    return MicroPython()
