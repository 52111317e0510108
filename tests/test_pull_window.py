"""A pull asks for a window of GET_LOGS replies per round trip: consecutive slices
of the log. Short replies (the device answers briefly while a session plays) and
seqs that do not follow each other must neither skip nor repeat a record."""

import datetime as dt

import pytest
from ontspan.archive.pull import pull
from ontspan.archive.store import Archive
from ontspan.device.client import LOG_BATCH
from ontspan.logformat import seq_of
from synth_logs import FakeLink, session

T0 = dt.datetime(2026, 11, 2, 21, 30).astimezone()


class WindowLink(FakeLink):
    """FakeLink answering windows as the device would: each request on its own,
    at most `short` records per reply while `short` is set."""

    def __init__(self, *a, short=None, **kw):
        super().__init__(*a, **kw)
        self.short = short
        self.windows = 0

    def get_logs_window(self, from_seq, max_count, depth):
        self.windows += 1
        n = min(max_count, LOG_BATCH)
        return [(self.epoch, self.get_logs(from_seq + k * n, min(n, self.short or n)))
                for k in range(depth)]


def _log(sessions, gap_every=0):
    recs, seq = [], 1
    for i in range(sessions):
        recs += session(seq, T0 + dt.timedelta(hours=i))
        seq += 2 + (3 if gap_every and i % gap_every == gap_every - 1 else 0)
    return recs


@pytest.mark.parametrize(("short", "gap_every"), [(None, 0), (3, 0), (None, 4), (3, 5)],
                         ids=["full", "short", "gaps", "short-gaps"])
def test_every_record_once(tmp_path, short, gap_every):
    recs = _log(60, gap_every)
    link = WindowLink("pico-a", recs, short=short)
    with Archive(tmp_path / "a.sqlite3") as ar:
        res = pull(link, ar)
        assert res.new == len(recs) and res.duplicate == 0
        assert res.last_seq == max(r.seq for r in recs)
        for r in recs:
            got = ar.raw_at("pico-a", res.epoch, r.seq)
            assert got is not None and seq_of(got) == r.seq, r.seq
    if short is None and not gap_every:
        # 120 records, LOG_BATCH a reply, three replies a round trip
        assert link.windows <= -(-len(recs) // (3 * LOG_BATCH)) + 1
