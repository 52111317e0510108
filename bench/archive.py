"""Archive writes: records/s for 10,000 records stored into a fresh archive and
into one that already holds them (the whole pull path minus the wire: decode,
epoch choice, one transaction), set against the GET_LOGS rate bench/logs.py
measured; and the report rendered to a PNG in a headless browser, kept in
bench/results/report.png to look at."""

import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ontspan.archive import Archive
from ontspan.pull import pull

from .common import metric

RECORDS = 10_000
RUNS = 5
RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _records():
    from synth_logs import session

    t0 = dt.datetime(2026, 1, 1, 21, 0).astimezone()
    recs = []
    for i in range(RECORDS // 2):
        recs += session(1 + 2 * i, t0 + dt.timedelta(hours=12 * i), before=6, after=3,
                        boot=1 + i // 50, uptime_s=100 + i)
    return recs


def _get_logs_rate():
    try:
        logs = json.loads((RESULTS / "logs.json").read_text())
    except (OSError, ValueError):
        return None
    for m in logs["metrics"]:
        if m["name"].startswith("pull throughput, GET_LOGS loop"):
            return float(m["value"])
    return None


def _time_pull(link, db):
    with Archive(db) as ar:
        t = time.perf_counter()
        res = pull(link, ar, batch=RECORDS)
        return time.perf_counter() - t, res


def run(quick: bool = False):
    from synth_logs import FakeLink

    n, runs = (1000, 1) if quick else (RECORDS, RUNS)
    recs = _records()[:n]
    link = FakeLink("bench-archive", recs)
    fresh, again = [], []
    tmp = Path(tempfile.mkdtemp(prefix="ontspan-bench-archive-"))
    try:
        for i in range(runs):
            db = tmp / f"a{i}.sqlite3"
            s, res = _time_pull(link, db)
            assert res.new == n, res
            fresh.append(s)
            # the same records again: an archive that already holds them
            with Archive(db) as ar:
                t = time.perf_counter()
                st = ar.store_batch("bench-archive", [link.records[k] for k in sorted(link.records)],
                                    epoch=res.epoch)
                again.append(time.perf_counter() - t)
                assert st.duplicate == n, st
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rate_fresh = n / statistics.median(fresh)
    rate_again = n / statistics.median(again)
    wire = _get_logs_rate()  # records/s the GET_LOGS loop delivers (bench logs)
    goal = f">= {round(0.8 * wire)} (80% of GET_LOGS)" if wire else ""
    out = [
        metric(f"store {n} records, pull into a fresh archive", round(rate_fresh),
               "records/s", goal, rate_fresh >= 0.8 * wire if wire else None),
        metric(f"store {n} records again, archive already holds them", round(rate_again),
               "records/s", goal, rate_again >= 0.8 * wire if wire else None),
    ]
    if wire:
        # on the wire and into the archive one after the other: what `logs pull` does end to end
        out.append(metric("ontspan pull end to end, GET_LOGS then storing",
                          round(1 / (1 / wire + 1 / rate_fresh)), "records/s"))
    out.append(_report_png())
    return out


def _report_png():
    """The report of a two-week trial rendered by headless chromium."""
    from ontspan.report import build_html
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
            ar.store("e6614103e7a1b2c3", recs, {0x5EED5EED: {1: "pmr-kort"}})
            ar.label("e6614103e7a1b2c3", "patiënt A")
            page = build_html(ar.sessions(), lang="nl")
        png = RESULTS / "report.png"
        render_png(browser, page, png, tmp)
        return metric("report rendered to PNG (bench/results/report.png)", int(png.exists()),
                      "bool")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
