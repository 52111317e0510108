"""The therapist's report: plots embedded, numbers right, CLI wiring."""

import base64
import datetime as dt
import json
import re

import pytest
from ontspan.archive.store import Archive
from ontspan.cli.main import main
from ontspan.errors import InputError
from ontspan.logformat import Outcome
from ontspan.report.page import build_html, summarize, terminal_summary
from synth_logs import SYNTH_TABLE_CRC, session

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
    ar.store("pico-7", recs, names={SYNTH_TABLE_CRC: {1: "PMR kort", 2: "Ademhaling 4-6"}})
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
    assert "2 of the 3 sessions that were rated before and after showed a drop" in text
    assert "adherence 83%" in text and "1 stopped, 1 cut by power" in text


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
    assert "cut by power" in page and "Device: " not in page


def test_cli_report_export_label(tmp_path, capsys):
    archive_with_plan(tmp_path).close()
    db = str(tmp_path / "a.sqlite3")
    out = tmp_path / "r.html"
    assert main(["report", "--db", db, "--device", "Patient A", "-o", str(out), "--json"]) == 0
    (nums,) = json.loads(capsys.readouterr().out)
    assert nums["sessions"] == 7 and nums["trial_dropped"] == 2 and nums["label"] == "Patient A"
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


def _two_patients(tmp_path):
    ar = archive_with_plan(tmp_path)
    recs = session(1, T0, before=9, after=8) + session(3, T0 + dt.timedelta(days=1), before=9,
                                                         after=7)
    ar.store("pico-8", recs)
    ar.label("pico-8", "patiënt B")
    return ar


def test_two_devices_are_never_pooled(tmp_path, capsys):
    with _two_patients(tmp_path) as ar:
        sessions = ar.sessions()
        with pytest.raises(InputError, match="2 devices"):
            summarize(sessions)
        page = build_html(sessions)
    assert page.count("<section class=\"patient\">") == 2
    assert "Patient A (pico-7)" in page and "patiënt B (pico-8)" in page
    db = str(tmp_path / "a.sqlite3")
    out = tmp_path / "r.html"
    assert main(["report", "--db", db, "-o", str(out), "--json", "--lang", "en"]) == 0
    a, b = json.loads(capsys.readouterr().out)
    assert (a["device_id"], a["sessions"], b["device_id"], b["sessions"]) == ("pico-7", 7, "pico-8", 2)
    assert b["mean_before"] == 9 and b["mean_drop"] == pytest.approx(1.5)
    assert main(["report", "--db", db, "-o", str(out), "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert text.index("Patient A (pico-7)") < text.index("patiënt B (pico-8)")
    assert "sessions: 2 (2 completed, 100%)" in text


def test_after_only_ratings_count_in_the_tension_summary(tmp_path):
    with Archive(tmp_path / "a.sqlite3") as ar:
        ar.store("d", session(1, T0, after=3) + session(3, T0 + dt.timedelta(days=2), after=5))
        s = summarize(ar.sessions())
    assert (s.rated_after, s.mean_after, s.rated, s.mean_before) == (2, 4.0, 0, None)
    text = terminal_summary(s)
    assert "Tension after a session averaged 4.0 over 2 sessions" in text
    assert "No session was rated both before and after" in text
    assert " - " not in text and "over 0" not in text


def test_empty_states_in_plain_words(tmp_path):
    with Archive(tmp_path / "a.sqlite3") as ar:
        ar.store("d", session(1, T0))  # not rated at all
        s = summarize(ar.sessions())
        page = build_html(ar.sessions())
    text = terminal_summary(s)
    assert "No tension ratings yet." in text
    assert "None of the first 4 sessions was rated both before and after yet." in text
    assert "Nothing to show here yet." in page  # the tension chart
    assert "(one day)" in page
    nl = terminal_summary(s, "nl")
    assert "Nog geen spanningscijfers." in nl and "voltooid" in nl


def test_dutch_and_english(tmp_path, capsys, monkeypatch):
    archive_with_plan(tmp_path).close()
    db = str(tmp_path / "a.sqlite3")
    out = tmp_path / "r.html"
    monkeypatch.setenv("LC_ALL", "nl_NL.UTF-8")
    assert main(["report", "--db", db, "-o", str(out)]) == 0  # the locale decides
    text = capsys.readouterr().out
    page = out.read_text()
    assert "sessies: 7 (5 voltooid, 71%)" in text and "therapietrouw 83%" in text
    assert "stroom onderbroken" in text and "gemiddeld 2,0" in text
    assert '<html lang="nl">' in page and "Proefbehandeling: de eerste 4 sessies" in page
    assert "Is er geoefend zoals gepland?" in page and "Trial" not in page
    assert main(["report", "--db", db, "-o", str(out), "--lang", "en"]) == 0
    assert "sessions: 7 (5 completed, 71%)" in capsys.readouterr().out
    assert '<html lang="en">' in out.read_text()
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")
    assert main(["report", "--db", db, "-o", str(out)]) == 0
    assert "sessions: 7" in capsys.readouterr().out


def test_outcomes_are_named_in_both_languages(tmp_path):
    from ontspan.report.text import OUTCOMES

    with Archive(tmp_path / "a.sqlite3") as ar:
        recs = []
        for i, oc in enumerate([Outcome.COMPLETED, Outcome.STOPPED, Outcome.PAUSED_TOO_LONG,
                                Outcome.POWER_CUT, Outcome.FAULT]):
            recs += session(1 + 2 * i, T0 + dt.timedelta(days=i), outcome=oc)
        ar.store("d", recs)
        page_en = build_html(ar.sessions())
        page_nl = build_html(ar.sessions(), lang="nl")
    for name in ("completed", "stopped", "paused too long", "cut by power", "fault"):
        assert f"<td>{name}</td>" in page_en
    for name in OUTCOMES["nl"].values():
        if name != "bezig":
            assert f"<td>{name}</td>" in page_nl


@pytest.mark.parametrize("lang, after_only, one", [
    ("en", "Tension after a session averaged 2.0 over 2 sessions",
     ["Tension before the session was 6.0", "tension after was 2.0 in 1 session",
      "1 session, a drop of 4.0 points"]),
    ("nl", "De spanning na een sessie was gemiddeld 2,0 over 2 sessies",
     ["De spanning vóór de sessie was 6,0", "erna was ze 2,0 in 1 sessie",
      "1 sessie, 4,0 punten lager"]),
])
def test_tension_words_start_a_sentence_and_say_one_session(tmp_path, lang, after_only, one):
    from ontspan.report.page import tension_text
    from ontspan.report.text import Words

    w = Words(lang)
    with Archive(tmp_path / "a.sqlite3") as ar:
        ar.store("d", session(1, T0, after=2) + session(3, T0 + dt.timedelta(days=1), after=2))
        ar.store("e", session(1, T0, before=6, after=2))
        two_after, single = summarize(ar.sessions("d")), summarize(ar.sessions("e"))
    text = " ".join(tension_text(two_after, w))
    assert text.startswith(after_only), text
    text = " ".join(tension_text(single, w))
    for part in one:
        assert part in text, text
    assert "(s)" not in text and "1 sessions" not in text and "1 sessies" not in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_plan_of_one_session_a_day_reads_in_the_singular(tmp_path, lang):
    with Archive(tmp_path / "a.sqlite3") as ar:
        ar.store("d", session(1, T0, before=6, after=2))
        page = re.sub(r"data:image/png;base64,[^\"]*", "", build_html(ar.sessions(), lang=lang))
    assert "(s)" not in page and "1 sessions" not in page and "1 sessies" not in page
    assert ("1 sessie per dag" if lang == "nl" else "1 session a day") in page
