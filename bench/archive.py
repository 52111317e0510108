"""Archive writes, measured as `ontspan logs pull` does them: a real pull() of
10,000 records from the simulated device, into a fresh archive and into one that
already holds them (the same records at the same seqs: the device's log before
its flash was wiped and the same sessions written again), each set against the
GET_LOGS rate measured on the same sim in the same run; and the report rendered
to a PNG in a headless browser, kept in bench/results/report.png to look at."""

import datetime as dt
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ontspan.archive.pull import pull
from ontspan.archive.store import Archive
from ontspan.device.client import Link
from ontspan.sim.device import SimDevice

from .common import metric, sim_link
from .logs import _prefill, _pull_raw

RECORDS = 10_000
RUNS = 3
RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "tests"))
DEVICE = "be0c4a7c1e55a001"  # both images are the same device


def _rates(state: Path, db: Path, runs: int, n: int) -> tuple[float, float]:
    """(GET_LOGS loop records/s, pull() records/s), best of `runs` each, on one sim;
    every pull goes into a copy of `db` as it was before these runs (a fresh archive
    when there was none; the first such pull is then kept as `db`)."""
    held = db.exists()
    sim = SimDevice(state, speed=1, device_id=DEVICE)
    sim.start()
    raw, stored = [], []
    try:
        sim_link(sim).close()
        for i in range(runs):
            took, _, _, recs = _pull_raw(sim.port)
            raw.append(len(recs) / took)
            target = db.with_name(f"{db.stem}-{i}.sqlite3")
            if held:
                shutil.copy(db, target)
            lk = Link(sim.port)
            try:
                lk.hello()
                with Archive(target) as ar:
                    t = time.perf_counter()
                    res = pull(lk, ar)
                    took = time.perf_counter() - t
            finally:
                lk.close()
            if res.new != n:
                raise SystemExit(f"bench archive: pull stored {res.new} of {n} records")
            stored.append(n / took)
            if not db.exists():
                shutil.copy(target, db)  # the archive that holds them, for the second case
    finally:
        sim.stop()
    return max(raw), max(stored)


def run(quick: bool = False):
    n, runs = (300, 1) if quick else (RECORDS, RUNS)
    tmp = Path(tempfile.mkdtemp(prefix="ontspan-bench-archive-"))
    try:
        first, again = tmp / "first", tmp / "again"
        for d in (first, again):
            d.mkdir()
        # the same records on two flash images; each logbook made its own epoch
        with ThreadPoolExecutor(2) as pool:
            jobs = [pool.submit(_prefill, d, n, {"log_capacity": n}) for d in (first, again)]
            for j in jobs:
                j.result()
        db = tmp / "held.sqlite3"
        wire1, fresh = _rates(first, db, runs, n)
        wire2, held = _rates(again, db, runs, n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = []
    for what, wire, rate in ((f"pull {n} records into a fresh archive", wire1, fresh),
                             (f"pull {n} records into an archive that already holds them",
                              wire2, held)):
        out.append(metric(f"GET_LOGS loop alone, same sim, before: {what}", round(wire),
                          "records/s"))
        out.append(metric(f"ontspan pull(), {what}", round(rate), "records/s",
                          f">= {round(0.8 * wire)} (80% of GET_LOGS)", rate >= 0.8 * wire))
    out.append(_report_png())
    return out


def _report_png():
    """The report of a two-week trial rendered by headless chromium."""
    from ontspan.logformat import Outcome
    from ontspan.report.page import build_html
    from render_report import chromium, render_png
    from synth_logs import session

    browser = chromium()
    if browser is None:
        return metric("report rendered to PNG (no chromium here)", 0, "bool")
    t0 = dt.datetime(2026, 11, 2, 21, 30).astimezone()
    tmp = Path(tempfile.mkdtemp(prefix="ontspan-bench-report-"))
    try:
        with Archive(tmp / "a.sqlite3") as ar:
            recs = []
            for d in range(14):
                if d in (4, 9):
                    continue  # days without practice
                recs += session(1 + 2 * d, t0 + dt.timedelta(days=d), before=7 - d // 3,
                                after=max(0, 4 - d // 3), uptime_s=100 + d)
            recs += session(40, t0 + dt.timedelta(days=6, hours=-8), before=6,
                            outcome=Outcome.PAUSED_TOO_LONG, actual_s=300)
            recs += session(42, t0 + dt.timedelta(days=11, hours=-9), before=5,
                            outcome=Outcome.STOPPED, actual_s=200)
            ar.store("e6614103e7a1b2c3", recs, {0x5EED5EED: {1: "pmr-kort"}})
            ar.label("e6614103e7a1b2c3", "patiënt A")
            # a second patient, one day so far: a breathing protocol rated after only,
            # a session stopped and one the device cut by a fault
            day = t0 + dt.timedelta(days=13)
            recs = (session(1, day.replace(hour=8), after=3, protocol=2)
                    + session(3, day.replace(hour=13), after=4, protocol=2,
                              outcome=Outcome.STOPPED, actual_s=120)
                    + session(5, day, after=2, protocol=2, outcome=Outcome.FAULT, actual_s=60))
            ar.store("e6614103e7a1d4e5", recs, {0x5EED5EED: {2: "adem-4-6"}})
            ar.label("e6614103e7a1d4e5", "patiënt B")
            page = build_html(ar.sessions(), lang="nl")
        png = RESULTS / "report.png"
        render_png(browser, page, png, tmp)
        return metric("report rendered to PNG (bench/results/report.png)", int(png.exists()),
                      "bool")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
