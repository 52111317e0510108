# Faults: what the app does after an unhandled error (app.run restarts it).
# The motor stops and the ring goes dark first, the open session is closed as
# FAULT (never as "cut by power"), and the fault is counted on flash for INFO.
import os

from micropython import const

_FAULTS = const("/faults.txt")  # "<count> <kind of the last>"


def read(root):
    """(count, kind of the last) of the faults the app restarted after."""
    try:
        with open(root + _FAULTS) as f:
            n, kind = f.read().split(" ", 1)
        return int(n), kind
    except (OSError, ValueError):
        return 0, None


def safe(dev):
    """Motor off and ring dark, whatever state the app was left in."""
    if dev is None:
        return
    try:
        dev.board.deinit()
    except Exception:  # a half-built board: nothing more to turn off
        pass


def note(dev, e):
    """After an unhandled error: safe, close the session with FAULT, count it."""
    safe(dev)
    if dev is None:
        return
    try:
        dev.session.fault()
    except Exception:
        pass
    root = dev.root
    n = read(root)[0] + 1
    try:
        with open(root + _FAULTS + ".tmp", "w") as f:
            f.write("%d %s" % (n, type(e).__name__))
        os.rename(root + _FAULTS + ".tmp", root + _FAULTS)
    except OSError:
        pass


_HALF_MS = const(0x20000000)  # half the ticks period: a wrapped diff means at least this long


class Window:
    """Whether `n` faults fell within `window_ms`, timed on a count that never wraps.

    time.ticks_ms() wraps at 2^30 ms on the Pico (12.4 days): a ticks_diff over
    more than half of that comes out negative, and faults 6.2-12.4 days apart
    would look recent. Each gap is the ticks gap when it is plain, at least half
    the period when it wrapped, and at least as long as the app ran in between.
    """

    def __init__(self, clock, n, window_ms):
        self._clock = clock  # ticks_ms and ticks_diff: the time module on the board
        self._n = n
        self._window = window_ms
        self._last = clock.ticks_ms()
        self._t = 0  # ms since the first start, never wrapping (a heap int after 12 days)
        self.recent = []  # never-wrapping ms of the last n faults, oldest first

    def fault(self, ran_ms=0):
        """Count a fault; ran_ms is how long the app ran since it last started.
        True when this one is the n-th within the window."""
        clock = self._clock
        now = clock.ticks_ms()
        gap = clock.ticks_diff(now, self._last)
        self._last = now
        if gap < 0:
            gap = _HALF_MS
        if ran_ms > gap:  # the ticks went all the way round at least once
            gap = ran_ms
        self._t += gap
        r = self.recent
        r.append(self._t)
        if len(r) > self._n:
            r.pop(0)
        return len(r) == self._n and r[-1] - r[0] < self._window
