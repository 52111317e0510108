"""The therapist's report: plots embedded, numbers right, CLI wiring."""

import base64
import datetime as dt
import json
import re

import pytest
from ontspan.archive import Archive
from ontspan.cli import main
from ontspan.logformat import Outcome
from ontspan.report import build_html, summarize, terminal_summary
from synth_logs import TABLE_CRC, session

T0 = dt.datetime(2025, 3, 3, 21, 0).astimezone()

# (day, hour, before, after, outcome); ratings 255 = not rated
PLAN = [
    (0, 21, 8, 5, Outcome.COMPLETED),    # drop 3
    (1, 21, 7, 7, Outcome.COMPLETED),    # no drop
    (2, 22, 7, 4, Outcome.STOPPED),      # drop 3
    (2, 9, 6, 255, Outcome.COMPLETED),   # not rated after
    (3, 21, 6, 2, Outcome.COMPLETED),    # drop 4, outside the 4-session trial
    (5, 21, 5, 3, Outcome.POWER_CUT),    # drop 2
]


def archive_with_plan(tmp_path):
    ar = Archive(tmp_path / "a.sqlite3")
    recs = []
    for i, (day, hour, b, a, oc) in enumerate(PLAN):
        when = (T0 + dt.timedelta(days=day)).replace(hour=hour)
        recs += session(1 + 2 * i, when, before=b, after=a, outcome=oc,
                        protocol=1 if i % 2 == 0 else 2, actual_s=600 + 60 * i)
    # one session before the clock was set, another boot: undated
    recs += session(13, None, before=4, after=4, boot=9)
    ar.store("pico-7", recs, names={TABLE_CRC: {1: "PMR kort", 2: "Ademhaling 4-6"}})
    ar.label("pico-7", "Patient A")
    return ar


def test_summary_numbers(tmp_path):
    with archive_with_plan(tmp_path) as ar:
        s = summarize(ar.sessions(), "daily", trial_size=4)
    assert s.sessions == 7 and s.completed == 5 and s.undated == 1
    assert s.days == 6 and s.planned == 6
    assert s.adherence == pytest.approx(5 / 6)      # days 0,1,2,3,5 (day 2 credited once)
    assert s.completion_rate == pytest.approx(5 / 7)
    # trial: first four sessions; rated both times: drops 3, 0, 3
    assert (s.trial_n, s.trial_dropped) == (3, 2)
    assert s.trial_mean_drop == pytest.approx(2.0)
    assert s.rated == 6 and s.mean_drop == pytest.approx((3 + 0 + 3 + 4 + 2 + 0) / 6)
    assert s.trend_before is not None and s.trend_before < 0
    names = {p.name: p for p in s.protocols}
    assert names["PMR kort"].sessions == 4 and names["Ademhaling 4-6"].sessions == 3
    twice = summarize(ar_sessions(tmp_path), "twice-daily")
    assert twice.planned == 12 and twice.adherence == pytest.approx(6 / 12)
    text = terminal_summary(s)
    assert "2 of 3 rated showed a drop" in text and "adherence 83%" in text


def ar_sessions(tmp_path):
    with Archive(tmp_path / "a.sqlite3") as ar:
        return ar.sessions()


def test_html_is_self_contained_with_plots(tmp_path):
    with archive_with_plan(tmp_path) as ar:
        page = build_html(ar.sessions(), "daily")
    imgs = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(imgs) == 4
    for b64 in imgs:
        assert base64.b64decode(b64).startswith(b"\x89PNG")
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere
    assert "Patient A" in page and "PMR kort" in page
    assert "Trial treatment: the first 4 sessions" in page
    assert "2 of the 3 sessions" in page and "mean drop was 2.0 points" in page
    assert "1 session(s) have no known date" in page


def test_cli_report_export_label(tmp_path, capsys):
    archive_with_plan(tmp_path).close()
    db = str(tmp_path / "a.sqlite3")
    out = tmp_path / "r.html"
    assert main(["report", "--db", db, "--device", "Patient A", "-o", str(out), "--json"]) == 0
    nums = json.loads(capsys.readouterr().out)
    assert nums["sessions"] == 7 and nums["trial_dropped"] == 2
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert main(["logs", "export", "--json", "--db", db, "--from", "2025-03-05"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seq"] for r in rows] == [5, 7, 9, 11]
    assert main(["logs", "export", "--csv", "--db", db, "--device", "nobody"]) == 2
    assert "no device 'nobody'" in capsys.readouterr().err
    assert main(["device", "label", "pico-7", "Patient B", "--db", db]) == 0
    assert main(["device", "list", "--json", "--db", db]) == 0
    assert "Patient B" in capsys.readouterr().out
    assert main(["report", "--db", db, "--from", "2030-01-01", "-o", str(out)]) == 1
