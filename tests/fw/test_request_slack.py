"""A host's request is taken right after a frame, never in the last milliseconds before
one: on the rp2 port the longest pass with a request is ~11 ms (bench/pico.py measures
the frame gaps), so a request taken then would hold the next frame back. Held back
while a frame or cue edge is near, the device sleeps to it without waking on the bytes,
and after app._HOLD_MAX passes it takes the request anyway."""

from conftest import run_on_rp2_board
from ontspan.mpy import HEAPSIZE

REQUEST_MS = 12  # app._REQUEST_MS
HOLD_MAX = 8  # app._HOLD_MAX


def _passes(mpy, tmp_path, waits):
    printed = run_on_rp2_board(
        mpy, f"import request_slack\nrequest_slack.run({waits!r})",
        tmp_path, HEAPSIZE,
    )
    return [tuple(int(x) for x in ln.split()) for ln in printed.splitlines() if ln.strip()]


def test_a_request_waits_for_the_frame_then_is_taken(mpy, tmp_path):
    passes = _passes(mpy, tmp_path, [20, 16, REQUEST_MS, REQUEST_MS - 1, 5, 0, 15])
    assert passes == [(20, 1, 1), (16, 1, 1), (REQUEST_MS, 1, 1),
                      (REQUEST_MS - 1, 0, 0), (5, 0, 0), (0, 0, 0),  # held: a sleep the bytes do not end
                      (15, 1, 1)]


def test_a_request_held_back_too_long_is_taken_anyway(mpy, tmp_path):
    passes = _passes(mpy, tmp_path, [3] * (HOLD_MAX + 2))
    assert [p[1] for p in passes] == [0] * HOLD_MAX + [1, 0]


GC_AFTER = 8  # app._GC_AFTER
QUIET = 150  # ms: more than app._GC_QUIET_MS of host silence


def _collects(mpy, tmp_path, passes, busy=True):
    printed = run_on_rp2_board(
        mpy, f"import request_slack\nrequest_slack.collects({passes!r}, {busy!r})", tmp_path, HEAPSIZE,
    )
    return [tuple(int(x) for x in ln.split()) for ln in printed.splitlines() if ln.strip()]


def test_the_garbage_of_requests_is_collected_in_the_slack_after_a_frame(mpy, tmp_path):
    # a request answered; near a frame nothing else happens, even once the host is quiet;
    # the first pass with slack then collects, once
    passes = _collects(mpy, tmp_path, [(15, 1, 0), (5, 0, QUIET), (0, 0, 0), (15, 0, 0), (15, 0, 0), (20, 0, 0)])
    assert [p[2] for p in passes] == [0, 0, 0, 1, 0, 0]
    assert [p[1] for p in passes] == [1, 0, 0, 0, 1, 1]  # the collect takes the pass's slack
    assert passes[-1][3] == 1


def test_a_host_that_keeps_talking_gets_a_collect_every_few_requests_and_every_answer(mpy, tmp_path):
    n = GC_AFTER + 3
    passes = _collects(mpy, tmp_path, [(15, n, 0)] + [(15, 0, 0)] * (n + 1) + [(15, 0, QUIET)])
    collected = [i for i, p in enumerate(passes) if p[2]]
    answered = [p[3] for p in passes]
    last = answered.index(n)  # the pass that answered the last request
    assert answered[GC_AFTER - 1] == GC_AFTER and collected[0] == GC_AFTER  # 8 answers while more wait
    assert last == n  # every request answered, one a pass but for that collect: none starves
    assert len(collected) == 2 and last < collected[1] <= len(passes) - 1  # once the host is quiet


def test_idle_the_app_collects_once_the_host_is_quiet(mpy, tmp_path):
    # no frame waits while idle: every pass answers while the host talks (an upload pays
    # no collect), and its quiet after a command is when the command's garbage goes, once
    n = GC_AFTER + 3
    passes = _collects(mpy, tmp_path, [(20, n, 0)] + [(20, 0, 0)] * n + [(20, 0, QUIET), (20, 0, 0)], busy=False)
    assert [p[3] for p in passes][: n + 1] == [*range(1, n + 1), n]
    assert [i for i, p in enumerate(passes) if p[2]] == [n + 1]
