# Power-cut sweep for the logbook (run under MicroPython by tests/fw/test_logbook_powercut.py).
#
# A scripted life of the device (boots, sessions, a session cut short, a crash
# between START and END, ring wrap-around, clear_upto) runs once without cuts to
# learn the logbook's contents before and after every step. Then, for every
# flash operation K and for two cut styles (nothing of write K lands / its first
# half lands), the script is replayed on a fresh image until power dies at K;
# the image is remounted and reopened, and the recovered log is checked against
# the step that was running. The logbook must then keep working.

import logfields as lf
import logrecord as lr
import vfs
from flashsim import CutFlash, PowerCut
from logbook import Logbook

MNT = "/pc"
ROOT = MNT + "/log"
CAPACITY = 6
SEG = 4

SCRIPT = (
    ("boot",),
    ("session", 1, lr.OUT_COMPLETED),
    ("session", 2, lr.OUT_STOPPED),
    ("boot",),
    ("session", 3, lr.OUT_COMPLETED),
    ("start", 4),  # power goes before the END: the next boot closes it
    ("boot",),
    ("session", 1, lr.OUT_COMPLETED),
    ("session", 2, lr.OUT_COMPLETED),
    ("session", 3, lr.OUT_STOPPED),  # by now the ring has wrapped
    ("clear", 3),
    ("session", 4, lr.OUT_COMPLETED),
    ("start", 5),
    ("session", 6, lr.OUT_COMPLETED),  # START while one is open: logbook closes it
    ("boot",),
    ("session", 7, lr.OUT_COMPLETED),
)


def _mount(dev):
    try:
        vfs.umount(MNT)
    except Exception:
        pass
    vfs.mount(vfs.VfsLfs2(dev), MNT)


class Life:
    """Replays SCRIPT; `snap` collects the log after each step when asked."""

    def __init__(self, dev):
        self.dev = dev
        self.lb = None
        self.buf = bytearray(lr.SIZE)
        self.step = -1

    def run(self, snaps=None):
        for i, st in enumerate(SCRIPT):
            self.step = i
            self.do(i, st)
            if snaps is not None:
                snaps.append(snapshot(self.lb))

    def do(self, i, st):
        kind = st[0]
        b = self.buf
        if kind == "boot":
            _mount(self.dev)
            self.lb = Logbook(ROOT, CAPACITY, SEG)
            self.lb.open()
            return
        lb = self.lb
        if kind == "clear":
            lb.clear_upto(lb.last_seq - st[1])
            return
        lr.pack_into(b, 0, lr.START, 0, lb.boot, 60 * i, 1700000000 + 3600 * i if i & 1 else 0,
                     st[1], 0xC0FFEE00 + i, 600, 0, 0, 0, lr.OUT_NONE, i % 11, lr.NOT_RATED)
        lb.append(b)
        if kind == "session":
            lr.finish(b, 0, 590 - i, 2, 17, st[2], (i + 3) % 11)
            lb.append(b)


def snapshot(lb):
    """{seq: record bytes} and the seq list, oldest first."""
    data = lb.read_from(0, 1000)
    recs = {}
    order = []
    for k in range(len(data) // lr.SIZE):
        r = data[k * lr.SIZE:(k + 1) * lr.SIZE]
        s = lr.seq(r, 0)
        recs[s] = r
        order.append(s)
    return recs, order


def fresh_image():
    dev = CutFlash()
    vfs.VfsLfs2.mkfs(dev)
    return bytes(dev.data)


def is_power_cut_end(r, start):
    # the END open() writes for a START that had none: start fields kept
    if start is None or lr.rtype(r, 0) != lr.END or lf.outcome(r, 0) != lr.OUT_POWER_CUT:
        return False
    a = lf.unpack(r, 0)
    b = lf.unpack(start, 0)
    # same fields except type, outcome, seq, after, actual, blocks, groups, crc
    for j in (1, 2, 5, 6, 8, 9, 10, 11):
        if a[j] != b[j]:
            return False
    return lr.seq(r, 0) == lr.seq(start, 0) + 1


def check_recovered(rec, before, after, ctx):
    got, order = rec
    b_recs, _ = before
    a_recs, _ = after
    # in order, no duplicates, no gaps (seqs are consecutive on the device)
    for k in range(1, len(order)):
        assert order[k] == order[k - 1] + 1, (ctx, "order", order)
    # everything present is a record we wrote, byte for byte, or a power-cut END
    for s in order:
        r = got[s]
        ok = (s in b_recs and b_recs[s] == r) or (s in a_recs and a_recs[s] == r)
        if not ok:
            ok = is_power_cut_end(r, got.get(s - 1))
        assert ok, (ctx, "unexpected record", s, lf.unpack(r, 0))
    # every record committed before the step that the step itself keeps is still there,
    # unless the ring dropped it for a newer one
    keep = [s for s in b_recs if s in a_recs]
    first = order[0] if order else 1 << 30
    for s in keep:
        if s >= first:
            assert s in got, (ctx, "lost", s, order)
    assert len(order) >= min(CAPACITY, len(keep)), (ctx, "ring too short", order, keep)


def main(verbose=False):
    base = fresh_image()
    dev = CutFlash(image=base)
    life = Life(dev)
    snaps = []
    life.run(snaps)
    total_ops = dev.ops
    empty = ({}, [])
    cuts = 0
    for partial in (0, 256):
        for k in range(total_ops):
            dev = CutFlash(image=base)
            dev.arm(k, partial)
            life = Life(dev)
            try:
                life.run()
                raise AssertionError("no cut at %d" % k)
            except PowerCut:
                pass
            cuts += 1
            step = life.step
            before = snaps[step - 1] if step > 0 else empty
            after = snaps[step]
            ctx = (k, partial, step, SCRIPT[step])
            # power back: same flash, fresh mount, fresh logbook
            dev2 = CutFlash(image=dev.frozen)
            _mount(dev2)
            lb = Logbook(ROOT, CAPACITY, SEG)
            lb.open()
            rec = snapshot(lb)
            check_recovered(rec, before, after, ctx)
            # the logbook keeps working: one more session, another boot, all there
            last = rec[1][-1] if rec[1] else lb.cleared
            b = bytearray(lr.SIZE)
            lr.pack_into(b, 0, lr.START, 0, lb.boot, 5, 0, 9, 1, 60, 0, 0, 0, 0, 255, 255)
            s1 = lb.append(b)
            lr.finish(b, 0, 60, 1, 0, lr.OUT_COMPLETED, 255)
            s2 = lb.append(b)
            assert s1 == last + 1 and s2 == s1 + 1, (ctx, "seq after recovery", last, s1, s2)
            _mount(dev2)
            lb = Logbook(ROOT, CAPACITY, SEG)
            lb.open()
            got, order = snapshot(lb)
            assert order[-2:] == [s1, s2], (ctx, "after recovery", order)
            for s in rec[1]:
                if s >= order[0]:
                    assert got[s] == rec[0][s], (ctx, "changed after recovery", s)
            if verbose:
                print(ctx, "ok", len(order))
    vfs.umount(MNT)
    print("cuts", cuts, "ops", total_ops, "records", snaps[-1][1][-1])
