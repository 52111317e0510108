# LED frame gaps of the real app (sim board at 1x, littlefs image) playing a
# table's first protocol: every ring.show() is timed with ticks_us, first with
# no link traffic, then with requests fed back to back (the next one as soon
# as the last is read). Prints "gaps <phase> <frames> <longest us> <p99 us> <requests>".
import time
from array import array

import hal_sim

hal_sim.Board.mount_flash()

# every gap is kept in one buffer made before the app loads, while the heap is whole;
# the phases reuse it (19 s of frames at most: a phase is 15 s, bench/budget.py SECONDS).
# Sized to the phase, not more: the Pico-sized heap must still hold the whole app.
_GAPS = array("I", bytes(4 * 1200))

import app  # noqa: E402
import reflash  # noqa: E402

app._prepared = True


def _phase(dev, rd, ms, frames):
    ring = dev.board.ring
    show = ring.show
    gaps = _GAPS
    st = [0, 0]  # last stamp, gaps kept

    def timed():
        now = time.ticks_us()
        if st[0] and st[1] < len(gaps):
            gaps[st[1]] = time.ticks_diff(now, st[0])
            st[1] += 1
        st[0] = now
        show()

    ring.show = timed
    sent = 0
    t0 = time.ticks_ms()
    i = 0
    while time.ticks_diff(time.ticks_ms(), t0) < ms:
        if frames and not rd.pending():
            rd.feed(frames[i % len(frames)])
            i += 1
            sent += 1
        dev.step()
    ring.show = show
    n = st[1]
    return n, _kth_largest(gaps, n, 1), _kth_largest(gaps, n, n - n * 99 // 100), sent


def _kth_largest(gaps, n, k):
    """The k-th largest of gaps[:n] (k=1: the longest), without a sorted copy: the k
    largest are taken out one by one (they are put back after)."""
    taken = []
    v = 0
    for _ in range(k if n else 0):
        i = 0
        for j in range(1, n):
            if gaps[j] > gaps[i]:
                i = j
        v = gaps[i]
        taken.append((i, v))
        gaps[i] = 0
    for i, g in taken:
        gaps[i] = g
    return v


def run(table_path, seconds=10):
    with open(table_path, "rb") as f:
        data = f.read()
    dev, rd = reflash.boot_linked(data, reflash.Sink())
    f = reflash._frame
    reqs = [(0x32, b""), (0x02, b""), (0x21, b""), (0x01, b"\x01\x01"), (0x50, b"\x00\x00\x00\x00\x0f"),
            (0x13, b"\x00\x00\x00\x00\xfc\x01"), (0x41, b""), (0x61, b"")]
    frames = [f(c, p) for c, p in reqs * 4]  # a new id each: none is answered from the resend cache
    dev.begin(0)
    for _ in range(50):
        dev.step()
    print("gaps quiet %d %d %d %d" % _phase(dev, rd, seconds * 1000, None))
    print("gaps traffic %d %d %d %d" % _phase(dev, rd, seconds * 1000, frames))
    print("done", dev.busy())
