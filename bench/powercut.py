"""200 power cuts of the simulated device at random moments of sessions (the product
requirement): runs tests/test_powercut_e2e.py with ONTSPAN_POWERCUT_KILLS=200 and
reports what it counted. Every assertion of that test must hold (no record lost,
no duplicate in the archive, the device boots after every cut)."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import metric

KILLS = 200
QUICK_KILLS = 6  # --quick: the same run, a few cuts
TEST = Path(__file__).resolve().parents[1] / "tests" / "test_powercut_e2e.py"


def run(quick: bool = False) -> list[dict]:
    kills_wanted = QUICK_KILLS if quick else KILLS
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "powercut.json"
        env = dict(
            os.environ,
            ONTSPAN_POWERCUT_KILLS=str(kills_wanted),
            ONTSPAN_POWERCUT_REPORT=str(report),
        )
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TEST)],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not report.exists():
            raise SystemExit(
                f"bench powercut: the power-cut test failed:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}"
            )
        got = json.loads(report.read_text())
    kills = got.get("kills", 0)
    return [
        metric("power cuts, all checks passed", kills, "kills",
               f">= {kills_wanted}", kills >= kills_wanted),
        metric("of them while booting", got.get("kills_while_booting", 0), "kills"),
        metric("sessions logged", got.get("sessions", 0), "sessions"),
        metric("sessions cut by power", got.get("cut_by_power", 0), "sessions"),
        metric("sessions completed", got.get("completed", 0), "sessions"),
        metric("records pulled, consecutive seqs", got.get("records", 0), "records"),
        metric("power cut to HELLO (median, incl. 0.5 s relaunch)",
               got.get("boot_ms_median", 0), "ms"),
        metric("power cut to HELLO (max)", got.get("boot_ms_max", 0), "ms"),
        metric("run time", got.get("seconds", 0), "s"),
    ]
