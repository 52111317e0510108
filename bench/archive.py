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
    """The report of a patient three weeks into a plan of two moments a day,
    rendered by headless chromium."""
    from ontspan.archive import patients as pt
    from ontspan.plan.check import parse_plan
    from ontspan.report.patient_page import report_for_patient
    from render_report import chromium, render_png
    from synth_logs import session

    browser = chromium()
    if browser is None:
        return metric("report rendered to PNG (no chromium here)", 0, "bool")
    first = dt.date(2026, 11, 2)
    text = (f"[plan]\nstart = {first}\nweeks = 3\ntrial_sessions = 4\n"
            '[[moment]]\ntime = "13:00"\nprotocol = "pmr-kort"\n'
            '[[moment]]\ntime = "21:30"\nprotocol = "avondritueel"\n')
    plan, _ = parse_plan(text)
    tmp = Path(tempfile.mkdtemp(prefix="ontspan-bench-report-"))
    try:
        with Archive(tmp / "a.sqlite3") as ar:
            anna = pt.add_patient(ar, "Anna")
            t0 = dt.datetime.combine(first, dt.time()).astimezone()
            pt.link_device(ar, anna, "e6614103e7a1b2c3", t0)
            pt.record_plan(ar, anna, plan, text, t0, "e6614103e7a1b2c3")
            recs, seq = [], 1
            for d in range(21):
                for m, (hm, pid) in enumerate(((13 * 60 + 2, 1), (21 * 60 + 33, 2))):
                    if (d * 2 + m) % 5 == 3 or d in (4, 9):
                        continue  # missed
                    late = 45 if (d + m) % 7 == 0 else 0
                    rated = seq < 12
                    recs += session(seq, t0 + dt.timedelta(days=d, minutes=hm + late),
                                    before=7 - d // 4 if rated else 255,
                                    after=max(0, 4 - d // 4) if rated else 255,
                                    protocol=pid, uptime_s=seq)
                    seq += 2
            ar.store("e6614103e7a1b2c3", recs, {0x5EED5EED: {1: "pmr-kort", 2: "avondritueel"}})
            now = t0 + dt.timedelta(days=22, hours=10)
            pages = {lang: report_for_patient(ar, anna, lang, now).html for lang in ("nl", "en")}
        for lang, page in pages.items():
            render_png(browser, page, RESULTS / ("report.png" if lang == "nl" else "report-en.png"),
                       tmp)
        png = RESULTS / "report.png"
        return metric("report rendered to PNG (bench/results/report.png, report-en.png)",
                      int(png.exists()), "bool")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
