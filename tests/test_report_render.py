"""The report as a therapist sees it: rendered by headless chromium to a PNG
(skipped without chromium; `python -m bench archive` keeps one in bench/results)."""

import datetime as dt

import pytest
from ontspan.archive.store import Archive
from ontspan.report.page import build_html
from render_report import chromium, render_png
from synth_logs import session

T0 = dt.datetime(2026, 11, 2, 21, 30).astimezone()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_report_renders_in_a_browser(tmp_path, lang):
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium on this computer")
    from PIL import Image

    with Archive(tmp_path / "a.sqlite3") as ar:
        ar.store("pico-a", session(1, T0, before=7, after=3)
                 + session(3, T0.replace(hour=13), before=6, after=4))  # one day, twice
        ar.store("pico-b", session(1, T0 + dt.timedelta(days=3), after=2))
        page = build_html(ar.sessions(), "twice-daily", lang=lang)
    png = tmp_path / "report.png"
    render_png(browser, page, png, tmp_path, height=3000)
    im = Image.open(png).convert("L")
    assert im.size == (900, 3000)
    # something was drawn: many distinct grey levels (text and charts), not a blank page
    assert len(im.getcolors(maxcolors=256) or []) > 50
