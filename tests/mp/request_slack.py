# A request is taken between frames, never just before one: drives the app's loop pass
# (app.Device.step) with the time to the next frame or cue edge set by hand, and prints
# "<ms to next> <polled 0/1> <slept wake 0/1>" per pass.
import time

import hal
import hal_rp2
import hal_sim

hal_sim.Board.mount_flash()
hal_rp2.Board.fs_root = "/flash"
hal.impl = hal_rp2
hal.FS_ROOT = "/flash"

import app  # noqa: E402


def run(waits):
    dev = app.boot()
    dev._link_room()  # as the host's first byte loads it
    log = []
    polls = [0]
    link_poll = dev.link.poll

    def poll(n):
        polls[0] += 1
        return link_poll(n)

    def idle(ms, wake=True):
        log.append(wake)

    dev.link.poll = poll
    dev.board.idle = idle
    for w in waits:
        dev._sleep_ms = lambda: w  # noqa: B023  (this pass's value)
        before = polls[0]
        dev.step()
        print(w, polls[0] - before, int(log[-1]))


class _Clock:
    """The app's ticks (dev.clk), moved on by hand: the host's silence without waiting."""

    def __init__(self):
        self.ms = 0

    def ticks_ms(self):
        return self.ms

    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)


class _Collects:
    """Stands in for the gc module in app: counts the collects the loop makes."""

    def __init__(self):
        self.n = 0

    def collect(self):
        self.n += 1


def collects(passes, busy=True):
    """passes: (ms to next, STATUS requests fed before the pass, ms of host silence
    before it). Prints
    "<ms to next> <polled 0/1> <collected 0/1> <replies so far>" per pass. busy: as
    while a session is on (then the loop collects after _GC_AFTER requests too)."""
    import fake_stream
    import link
    import reflash

    dev = app.boot()
    rd = fake_stream.Reader(size=2048)
    out = fake_stream.Writer()
    dev.link = link.Link(rd, out, dev.clk)
    polls = [0]
    link_poll = dev.link.poll

    def poll(n):
        polls[0] += 1
        return link_poll(n)

    dev.link.poll = poll
    dev.board.idle = lambda ms, wake=True: None
    if busy:
        dev.session.busy = lambda: True
    app.gc = gcs = _Collects()
    dev.clk = clk = _Clock()
    for w, feed, pause in passes:
        clk.ms += pause
        for _ in range(feed):
            rd.feed(reflash._frame(0x32, b""))
        dev._sleep_ms = lambda: w  # noqa: B023  (this pass's value)
        p, c = polls[0], gcs.n
        dev.step()
        print(w, polls[0] - p, gcs.n - c, dev.link.tx_frames)
