"""The app: how long the patient page takes with three weeks of sessions, and Load
(protocols and plan through the app) against the CLI's `flash` on the same sim.

- **patient page**: GET /patients/<id> and its report (GET .../report) through the
  app's WSGI interface, an archive holding one patient, one linked device, a
  three-week plan of two moments a day and 42 sessions over those 21 days.
- **load vs flash**: the library's pmr-kort and avondritueel, from the Load POST to
  the job's "loaded" (its progress polled as the page polls it) against
  `ontspan flash pmr-kort avondritueel` in the same process, alternately, on one
  sim at 1x. The app adds a plan and its own page round trips; the goal is that it
  adds little.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, metric

sys.path.insert(0, str(REPO / "tests"))


def _archive_with_three_weeks(db: Path) -> int:
    from ontspan.archive import patients as pt
    from ontspan.archive.store import Archive
    from ontspan.plan.check import parse_plan
    from ontspan.plan.source import MomentFields, plan_toml
    from synth_logs import raw, session

    start = dt.date.today() - dt.timedelta(days=20)
    text = plan_toml(start.isoformat(), 3, 4, [MomentFields("13:00", "pmr-kort", range(7)),
                                               MomentFields("21:30", "avondritueel", range(7))])
    plan, _ = parse_plan(text)
    assert plan is not None
    begun = dt.datetime.combine(start, dt.time()).astimezone() - dt.timedelta(days=1)
    with Archive(db) as ar:
        p = pt.add_patient(ar, "Anna de Vries", "bench")
        pt.link_device(ar, p, "bench0000device", at=begun)
        pt.record_plan(ar, p, plan, text, at=begun, device_id="bench0000device")
        recs = []
        for day in range(21):
            for k, (hour, minute) in enumerate(((13, 5), (21, 40))):
                when = dt.datetime.combine(start + dt.timedelta(days=day),
                                           dt.time(hour, minute)).astimezone()
                recs += session(1 + 2 * (2 * day + k), when, 6, 3, protocol=2 if k == 0 else 20)
        ar.store("bench0000device", raw(recs), {0x5EED5EED: {2: "pmr-kort", 20: "avondritueel"}})
        return p.id


def _page_times(quick: bool) -> list[dict]:
    from app_helpers import get, make_app, signed_in

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "archive.sqlite3"
        pid = _archive_with_three_weeks(db)
        app = make_app(Path(tmp), ARCHIVE=str(db), DEVICE_PORT=str(Path(tmp) / "none"))
        c = signed_in(app)
        out = []
        for what, url in (("patient page", f"/patients/{pid}"), ("report", f"/patients/{pid}/report")):
            times = []
            for _ in range(2 if quick else 10):
                t0 = time.perf_counter()
                r = get(c, url)
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.status_code
            out.append(metric(f"{what}, 3 weeks of sessions (median)", statistics.median(times) * 1000,
                              "ms", "< 1000 ms", statistics.median(times) < 1.0))
        return out


def _load_vs_flash(quick: bool) -> list[dict]:
    from app_helpers import get, make_app, post, signed_in
    from conftest import hello_or_none
    from ontspan.cli.main import main
    from ontspan.sim.device import SimDevice, poll_until

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ONTSPAN_DATA"] = str(Path(tmp) / "data")
        with SimDevice(Path(tmp) / "sim") as dev:
            poll_until(lambda: hello_or_none(dev.port), 30)
            app = make_app(Path(tmp), DEVICE_PORT=dev.port)
            c = signed_in(app)
            form = {"protocol": ["pmr-kort", "avondritueel"], "start": dt.date.today().isoformat(),
                    "weeks": "3", "trial": "4", "time0": "21:30", "protocol0": "avondritueel",
                    "days0": [str(d) for d in range(7)]}
            app_s, cli_s = [], []
            for _ in range(1 if quick else 5):
                t0 = time.perf_counter()
                r = post(c, "/device/load", form)
                job = r.get_data(as_text=True).split('id="job-', 1)[1].split('"', 1)[0]
                while 'data-finished="yes"' not in (f := get(c, f"/device/jobs/{job}").get_data(as_text=True)):
                    time.sleep(0.05)
                app_s.append(time.perf_counter() - t0)
                assert "loaded onto" in f, f
                t0 = time.perf_counter()
                assert main(["flash", "pmr-kort", "avondritueel", "--port", dev.port]) == 0
                cli_s.append(time.perf_counter() - t0)
    a, b = statistics.median(app_s), statistics.median(cli_s)
    return [metric("Load in the app, protocols and plan (median)", a * 1000, "ms"),
            metric("ontspan flash, same protocols (median)", b * 1000, "ms"),
            metric("app Load over CLI flash", a - b, "s", "< 0.5 s (polled every 50 ms)", a - b < 0.5)]


def run(quick: bool = False) -> list[dict]:
    return _page_times(quick) + _load_vs_flash(quick)
