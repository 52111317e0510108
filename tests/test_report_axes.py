"""The report's charts read as a therapist reads them: dates on the time axis, a
day without practice as an empty day, whole-number counts, one day drawn as one
day. Checked on the matplotlib figures the report draws."""

import datetime as dt

import matplotlib.dates as mdates
import pytest
from ontspan.archive.store import Archive
from ontspan.report import plots
from ontspan.report.text import Words
from synth_logs import session

T0 = dt.datetime(2026, 11, 2, 21, 30).astimezone()


@pytest.fixture
def figures(monkeypatch):
    """The figures the report draws, kept instead of turned into PNGs."""
    kept = []

    def keep(fig):
        kept.append(fig)
        return "png"

    monkeypatch.setattr(plots, "_png", keep)
    return kept


def _sessions(tmp_path, days):
    with Archive(tmp_path / "a.sqlite3") as ar:
        seq = 1
        for d in days:
            ar.store("pico-a", session(seq, T0 + dt.timedelta(days=d), before=6, after=3))
            seq += 2
        return [s for s in ar.sessions() if s.start]


def _dates(s):
    return [x.start.date() for x in s]


def test_a_day_without_practice_is_an_empty_day_between_dates(tmp_path, figures):
    done = _sessions(tmp_path, [0, 0, 2])  # twice on day one, none on day two
    first, last = min(_dates(done)), max(_dates(done))
    assert plots.adherence(done, first, last, 2, Words("en")) == "png"
    ax = figures[-1].axes[0]
    bars = sorted((mdates.num2date(b.get_x() + b.get_width() / 2).date(), b.get_height())
                  for b in ax.patches)
    assert [h for _, h in bars] == [2, 0, 1]  # the empty day keeps its place on the axis
    assert [d for d, _ in bars] == [first + dt.timedelta(days=i) for i in range(3)]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [(first + dt.timedelta(days=i)).strftime("%b %d") for i in range(3)]
    ticks = [t for t in ax.get_yticks() if 0 <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)  # no 0.96-1.04 ticks


def test_one_day_is_drawn_as_one_day(tmp_path, figures):
    done = _sessions(tmp_path, [0])
    day = _dates(done)[0]
    plots.adherence(done, day, day, 1, Words("nl"))
    ax = figures[-1].axes[0]
    lo, hi = ax.get_xlim()
    assert hi - lo == pytest.approx(2)  # the day and half a day each side, not a 20-hour bar
    [bar] = ax.patches
    assert bar.get_width() < 1 and bar.get_height() == 1
    assert [t.get_text() for t in ax.get_xticklabels()] == [day.strftime("%d-%m")]


@pytest.mark.parametrize("chart", ["tension", "duration"])
def test_every_time_axis_is_a_date_axis(tmp_path, figures, chart):
    done = _sessions(tmp_path, [0, 3])
    first, last = min(_dates(done)), max(_dates(done))
    assert getattr(plots, chart)(done, first, last, Words("en")) == "png"
    ax = figures[-1].axes[0]
    lo, hi = ax.get_xlim()
    assert hi - lo == pytest.approx((last - first).days + 2)
    assert [t.get_text() for t in ax.get_xticklabels()][0] == first.strftime("%b %d")
