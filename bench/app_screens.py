"""Screenshots of every page of the app in Dutch and English, in headless Chromium,
against `ontspan app` and a simulated device with a patient's three weeks:

    .venv/bin/python -m bench.app_screens        # -> bench/results/app/<page>-<lang>.png
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

from bench.common import REPO

sys.path.insert(0, str(REPO / "tests"))
OUT = REPO / "bench" / "results" / "app"


def prepare(dev, db: Path) -> int:
    """A patient linked to the sim, protocols and plan loaded, two sessions pulled."""
    from ontspan.archive import patients as pt
    from ontspan.archive.pull import pull
    from ontspan.archive.store import Archive
    from ontspan.device.client import open_log_link
    from ontspan.device.flash import build
    from ontspan.device.live import open_link
    from ontspan.device.names import archive_names
    from ontspan.load.onto import load
    from ontspan.plan.check import parse_plan
    from ontspan.plan.source import MomentFields, plan_toml
    from ontspan.shared import C
    from ontspan.sim.device import poll_until

    start = dt.date.today() - dt.timedelta(days=9)
    text = plan_toml(start.isoformat(), 3, 4, [MomentFields("13:00", "pmr-kort", range(5)),
                                               MomentFields("21:30", "avondritueel", range(7))])
    plan, _ = parse_plan(text)
    b = build(["pmr-kort", "avondritueel", "adem-4-6"])
    with open_link(dev.port) as lk:
        loaded = load(lk, b, plan)
        for _ in range(2):
            lk.start(2)
            poll_until(lambda: lk.status().state == C.STATE_PLAYING, 30)
            lk.stop()
            poll_until(lambda: lk.status().state == C.STATE_IDLE, 30)
    with Archive(db) as ar:
        p = pt.add_patient(ar, "Anna de Vries", "slaapt slecht in; avondritueel als vaste afsluiter")
        pt.add_patient(ar, "Bram Jansen")
        pt.link_device(ar, p, loaded.device_id,
                       at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        assert plan is not None
        pt.record_plan(ar, p, plan, text, device_id=loaded.device_id)
        lk = open_log_link(dev.port)
        try:
            pull(lk, ar, names=archive_names(lk.info()))
        finally:
            lk.close()
        return p.id


def main() -> int:
    from browser import AppServer, chrome, missing
    from conftest import hello_or_none
    from ontspan.sim.device import SimDevice, poll_until

    why = missing()
    if why:
        print(f"app screens: {why}")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ONTSPAN_DATA=str(Path(tmp) / "data"))
        os.environ.update(env)
        db = Path(tmp) / "archive.sqlite3"
        with SimDevice(Path(tmp) / "sim") as dev:
            poll_until(lambda: hello_or_none(dev.port), 30)
            pid = prepare(dev, db)
            srv = AppServer("--device", dev.port, "--db", str(db), env=env)
            b = chrome(1280, 900)
            try:
                b.get(srv.url)
                for lang in ("en", "nl"):
                    for name, path in (("patients", "/patients/"), ("patient", f"/patients/{pid}"),
                                       ("library", "/library/"), ("device", "/device/"),
                                       ("report", f"/patients/{pid}/report")):
                        b.set_window_size(1280, 900)
                        b.get(f"{srv.base}{path}?lang={lang}")
                        poll_until(lambda: b.execute_script(
                            "return document.readyState == 'complete' && "
                            "[...document.images].every(i => i.complete) && "
                            "!document.body.innerText.includes('…')"), 30)
                        height = b.execute_script("return document.documentElement.scrollHeight")
                        b.set_window_size(1280, min(int(height) + 40, 6000))
                        b.save_screenshot(str(OUT / f"{name}-{lang}.png"))
                        print(f"{name}-{lang}.png")
            finally:
                b.quit()
                srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
