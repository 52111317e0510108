"""firmware/logbook.py under MicroPython on a RAM littlefs: plain behaviour."""

PRE = "from lbtest import *\nimport logfields as lf\nimport logrecord as lr\n"


def test_sequence_and_boot_count_survive_reboots(mpy):
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev)
assert lb.boot == 1 and lb.next_seq == 1 and lb.count == 0 and lb.first_seq == 0
assert session(lb) == (1, 2)
lb = boot(dev)
assert lb.boot == 2 and lb.next_seq == 3
assert session(lb) == (3, 4)
lb = boot(dev)
assert lb.boot == 3
assert seqs(lb) == [1, 2, 3, 4]
assert (lb.first_seq, lb.last_seq, lb.count) == (1, 4, 4)
""")


def test_start_without_end_is_closed_at_next_boot(mpy):
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev)
session(lb)
start(lb, protocol=7, before=8)        # power goes here
lb = boot(dev)
assert kinds(lb) == [(1, "S", 0), (2, "E", 1), (3, "S", 0), (4, "E", lr.OUT_POWER_CUT)]
d = lb.read_from(3, 2)
s, e = lf.unpack(d, 0), lf.unpack(d, 32)
assert e[2] == 7 and e[6] == 8 and e[5] == s[5] and e[8] == s[8]   # start fields kept
assert e[7] == lr.NOT_RATED and e[12] == lr.UNKNOWN_U16
lb = boot(dev)                          # only once
assert seqs(lb) == [1, 2, 3, 4]
""")


def test_start_while_session_open_closes_it_as_fault(mpy):
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev)
start(lb)
assert start(lb) == 3
end(lb)
assert kinds(lb) == [(1, "S", 0), (2, "E", lr.OUT_FAULT), (3, "S", 0), (4, "E", 1)]
""")


def test_ring_wraps_keeping_at_least_capacity(mpy):
    mpy.check(PRE + """
import os
dev = fresh()
lb = boot(dev, capacity=6, seg=4)
for i in range(15):
    session(lb)
s = seqs(lb)
assert s[-1] == 30 and s == list(range(s[0], 31)) and len(s) >= 6, s
assert len(s) <= 6 + 4
assert len([n for n in os.listdir(MNT + "/log") if n.endswith(".seg")]) <= 3
lb = boot(dev, capacity=6, seg=4)
assert seqs(lb) == s and lb.count == len(s) and lb.first_seq == s[0]
""")


def test_read_from_is_resumable(mpy):
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev, capacity=40, seg=4)
for i in range(9):
    session(lb)
got = []
nxt = 0
while True:
    d = lb.read_from(nxt, 3)
    if not d:
        break
    assert len(d) <= 96
    part = [lr.seq(d, i * 32) for i in range(len(d) // 32)]
    got += part
    nxt = part[-1] + 1
assert got == list(range(1, 19)), got
assert seqs(lb, 7) == list(range(7, 19))
assert lb.read_from(19, 5) == b""
buf = bytearray(64)
assert lb.read_into(buf, 5) == 2 and lr.seq(buf, 32) == 6
""")


def test_clear_upto(mpy):
    mpy.check(PRE + """
import os
dev = fresh()
lb = boot(dev, capacity=40, seg=4)
for i in range(5):
    session(lb)
lb.clear_upto(6)
assert seqs(lb) == list(range(7, 11)) and lb.count == 4 and lb.first_seq == 7
assert seqs(lb, 2) == list(range(7, 11))
lb = boot(dev, capacity=40, seg=4)
assert seqs(lb) == list(range(7, 11))
lb.clear_upto(99)                       # clamps to the last record
assert seqs(lb) == [] and lb.count == 0
assert [n for n in os.listdir(MNT + "/log") if n.endswith(".seg")] == []
lb = boot(dev, capacity=40, seg=4)
assert lb.next_seq == 11                # seqs never go back
assert session(lb) == (11, 12)
assert seqs(lb) == [11, 12]
""")


def test_bad_record_refused(mpy):
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev)
try:
    lb.append(b"\\xff" * 32)
    raise AssertionError("accepted erased flash")
except ValueError:
    pass
assert lb.next_seq == 1
""")


def test_default_capacity_on_pico_geometry(mpy):
    # rp2 littlefs: 4096-byte blocks; fill more than a year of two sessions a day
    out = mpy.check(PRE + """
import vfs
from logbook import Logbook, DEFAULT_CAPACITY
assert DEFAULT_CAPACITY >= 2 * 2 * 365
dev = fresh(4096, 96)
vfs.mount(vfs.VfsLfs2(dev), MNT)
import os
free0 = os.statvfs(MNT)[3]
vfs.umount(MNT)
lb = boot(dev, capacity=DEFAULT_CAPACITY, seg=128)
for i in range(900):
    session(lb)
assert lb.count >= DEFAULT_CAPACITY
used = (free0 - os.statvfs(MNT)[3]) * 4096
print("records", lb.count, "bytes", used, "per_kb", lb.count * 1024 // used)
lb = boot(dev, capacity=DEFAULT_CAPACITY, seg=128)
assert lb.count >= DEFAULT_CAPACITY and lb.last_seq == 1800
""", timeout=120)
    words = out.split()
    assert int(words[words.index("per_kb") + 1]) >= 20


def test_epoch_is_made_once_kept_over_reboots_and_new_after_a_wipe(mpy):
    out = mpy.check(PRE + """
dev = fresh()
lb = boot(dev)
e1 = bytes(lb.epoch)
assert e1 != bytes(4) and lb.epoch_hex() == e1.hex()
session(lb)
lb.clear_upto(2)
lb = boot(dev)
assert bytes(lb.epoch) == e1        # reboots and clears keep it
session(lb)
lb = boot(fresh())                  # a reformatted flash: a new logbook
assert bytes(lb.epoch) != e1 and lb.next_seq == 1
print(e1.hex(), lb.epoch_hex())
""")
    a, b = out.split()
    assert len(a) == len(b) == 8 and a != b


def test_logbook_from_before_epochs_keeps_boot_cleared_and_v1_records(mpy):
    mpy.check(PRE + """
import os, struct
dev = fresh()
lb = boot(dev)
# what firmware 0.2 left: v1 records and a 10-byte meta (boot 5, cleared 2)
v1 = bytearray(32)
def v1rec(rtype, seq, outcome, after):
    struct.pack_into("<BBBBIHBBIIIHHBBH", v1, 0, rtype, 1, 3, outcome, seq, 5, 6, after,
                     50, 0, 0xABCD, 600, 0, 0, 0, 0)
    lr.seal(v1, 0)
    return bytes(v1)
with open(MNT + "/log/00000000.seg", "wb") as f:
    f.write(v1rec(lr.START, 1, 0, 255) + v1rec(lr.END, 2, 1, 4) + v1rec(lr.START, 3, 0, 255))
m = bytearray(10)
struct.pack_into("<IIH", m, 0, 5, 2, 0)
c = lr.crc16(m, 0, 8)
m[8] = c & 0xFF
m[9] = c >> 8
with open(MNT + "/log/meta", "wb") as f:
    f.write(m)
lb = boot(dev)
assert lb.boot == 6 and lb.cleared == 2 and lb.epoch != bytearray(4)
e = bytes(lb.epoch)
# the cut v1 START got a v1 END (after at byte 11), then v2 records follow
assert kinds(lb) == [(3, "S", 0), (4, "E", lr.OUT_POWER_CUT)]
d = lb.read_from(4, 1)
assert lf.version(d, 0) == 1 and lf.before(d, 0) == 6 and lf.after(d, 0) == lr.NOT_RATED
assert session(lb) == (5, 6)
d = lb.read_from(5, 1)
assert lf.version(d, 0) == 2
lb = boot(dev)
assert bytes(lb.epoch) == e and seqs(lb) == [3, 4, 5, 6]
""")


def test_open_closes_a_crashed_session_with_the_outcome_asked(mpy):
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev)
start(lb)
import vfs
vfs.umount(MNT)
vfs.mount(vfs.VfsLfs2(dev), MNT)
lb = Logbook(MNT + "/log", 6, 4)
lb.open(lr.OUT_FAULT)             # the app restarts itself after a crash
assert kinds(lb) == [(1, "S", 0), (2, "E", lr.OUT_FAULT)]
""")


def test_missed_moment_is_one_record_and_closes_an_open_session(mpy):
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev)
b = bytearray(32)
lr.pack_into(b, 0, lr.MISSED, 0, lb.boot, 900, 1764707400, 4, 0xABCD, 600, 0, 0, 0,
             lr.OUT_NONE, lr.NOT_RATED, lr.NOT_RATED, 2)
assert lb.append(b) == 1
start(lb)
assert lb.append(b) == 4            # seq 3 is the FAULT END of the open START
assert kinds(lb) == [(1, "M", 0), (2, "S", 0), (3, "E", lr.OUT_FAULT), (4, "M", 0)]
assert lf.moment(lb.read_from(4, 1), 0) == 2
lb = boot(dev)                      # a MISSED last: nothing to close
assert seqs(lb) == [1, 2, 3, 4]
""")


def test_a_pull_from_the_middle_of_a_segment_reads_a_few_slots(mpy):
    """GET_LOGS may run while cues play: reading from seq k of a full segment starts
    near slot k, not at slot 0 (every slot read is a CRC check)."""
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev, capacity=1000, seg=128)
for i in range(60):
    session(lb)
reads = [0]
real = lb._read_slot
def counted(f, s):
    reads[0] += 1
    return real(f, s)
lb._read_slot = counted
d = lb.read_from(101, 3)
assert [lr.seq(d, i * 32) for i in range(3)] == [101, 102, 103]
assert reads[0] <= 5, reads[0]
reads[0] = 0
assert lb.read_from(121, 3) == b"" and reads[0] <= 2, reads[0]
""")


def test_a_seq_gap_in_a_segment_still_gives_every_record(mpy):
    """Seqs one apart are what the shortcut expects; where they are not, the read
    falls back to the whole segment and misses nothing."""
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev, capacity=1000, seg=128)
for i in range(5):
    session(lb)
lb.next_seq += 7  # a jump inside the segment (seqs still rise)
for i in range(5):
    session(lb)
want = [s for s in range(1, 11)] + [s for s in range(18, 28)]
assert seqs(lb) == want, seqs(lb)
for k in (1, 5, 11, 12, 17, 18, 20, 27):
    d = lb.read_from(k, 40)
    assert [lr.seq(d, i * 32) for i in range(len(d) // 32)] == [s for s in want if s >= k], k
""")



def test_segment_kept_open_while_a_session_is_open_sees_every_write(mpy):
    """From a START to its END the newest segment stays open for reading (GET_LOGS while
    cues play must not open a file); every write closes it first, so records written
    since are read, and a segment dropped by the ring is never read through it."""
    mpy.check(PRE + """
dev = fresh()
lb = boot(dev, capacity=4, seg=2)
session(lb)
buf = bytearray(32 * 8)
assert lb.read_into(buf, 1) == 2 and lb._rd is None         # idle: opened and closed
start(lb)
assert lb._rd is not None and lb._rd_seg == lb._segs[-1]    # the START opens the newest
f = lb._rd
assert lb.read_into(buf, 3) == 1 and lr.seq(buf, 0) == 3 and lb._rd is f
assert lb.read_into(buf, 1) == 3 and lb._rd is not None    # an older segment: kept instead
end(lb)
assert lb._rd is None                                       # the END closes it
for i in range(4):
    session(lb)                                             # the ring drops old segments
start(lb)
got = lb.read_into(buf, 1)
assert [lr.seq(buf, 32 * k) for k in range(got)] == seqs(lb)[:got], (got, seqs(lb))
end(lb)
assert lb._rd is None and lb.read_into(buf, 1) > 0 and lb._rd is None      # idle again
""")
