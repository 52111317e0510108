# Helpers for logbook tests under MicroPython: a mounted RAM flash and records.
import logfields as lf
import logrecord as lr
import vfs
from flashsim import CutFlash
from logbook import Logbook

MNT = "/lbt"


def fresh(block_size=512, block_count=64):
    dev = CutFlash(block_size, block_count)
    vfs.VfsLfs2.mkfs(dev)
    return dev


def boot(dev, capacity=6, seg=4):
    """Mount (again) and open the logbook: what main.py does at power-up."""
    try:
        vfs.umount(MNT)
    except OSError:
        pass
    vfs.mount(vfs.VfsLfs2(dev), MNT)
    lb = Logbook(MNT + "/log", capacity, seg)
    lb.open()
    return lb


_buf = bytearray(lr.SIZE)


def start(lb, protocol=1, before=5):
    lr.pack_into(_buf, 0, lr.START, 0, lb.boot, 100, 0, protocol, 0xABCD, 600, 0, 0, 0,
                 lr.OUT_NONE, before, lr.NOT_RATED)
    return lb.append(_buf)


def end(lb, outcome=lr.OUT_COMPLETED, after=2):
    lr.finish(_buf, 0, 590, 3, 17, outcome, after)
    return lb.append(_buf)


def session(lb, **kw):
    return start(lb), end(lb, **kw)


def seqs(lb, frm=0):
    data = lb.read_from(frm, 10000)
    return [lr.seq(data, i * lr.SIZE) for i in range(len(data) // lr.SIZE)]


def kinds(lb, frm=0):
    data = lb.read_from(frm, 10000)
    return [(lr.seq(data, i * 32), chr(lr.rtype(data, i * 32)), lf.outcome(data, i * 32))
            for i in range(len(data) // 32)]
