# Practice logbook: an append-only bounded ring of 32-byte records on littlefs.
#
# Records live in segment files "<n>.seg" (n = 8 decimal digits, never reused),
# seg_records per file; 128 * 32 B = one 4 KB flash block. Each append is one
# open/write/close, which littlefs commits atomically; each record carries its
# own CRC because littlefs checksums metadata, not file data. A power cut loses
# at most the record being written. When the ring is full the oldest segment
# file is removed. "meta" holds the boot counter, the cleared-up-to seq and the
# log epoch (a random id made with the logbook: a wiped flash starts a new
# epoch, so the host never mistakes new seqs for ones it has) and is replaced
# by rename, so it is always the old or the new version. See docs/log-format.md.

import os
import struct

import logrecord as lr
from contract import LOG_RECORD_SIZE as _SIZE
from micropython import const

_SEG_RECORDS = const(128)
DEFAULT_CAPACITY = const(1536)  # > 2 sessions/day * 2 records * 365 days
_META_FMT = const("<II4sH")  # boot, cleared_upto, epoch, crc16
_META_LEN = const(14)
_META_V1_LEN = const(10)  # boot, cleared_upto, crc16: before log epochs


def _new_epoch():
    # 4 random bytes, never all zero (0 means "no epoch": firmware before v2)
    while True:
        try:
            e = bytearray(os.urandom(4))
        except (AttributeError, OSError):
            import random

            e = bytearray(random.getrandbits(8) for _ in range(4))
        if e != bytearray(4):
            return e


class Logbook:
    def __init__(self, root_dir, capacity=DEFAULT_CAPACITY, seg_records=_SEG_RECORDS):
        self.root = root_dir
        self.capacity = capacity
        self.seg_records = seg_records
        self.boot = 0  # this boot's number, 1 on the first boot after formatting
        self.cleared = 0  # records with seq <= cleared are gone (clear_upto)
        self.next_seq = 1
        self._buf = bytearray(_SIZE)
        self._open = bytearray(_SIZE)  # the last START while its END is due
        self._in_session = False
        self.epoch = bytearray(4)  # the log epoch, set by open(); see _new_epoch
        self._segs = []  # segment numbers, oldest first
        self._firsts = []  # first valid seq of each segment, 0 if none
        self._slots = []  # record slots in each segment
        self._tail_ok = True  # the newest segment can take appends
        self._next_seg = 0  # segment numbers only grow, so names sort by age
        self._rd = None  # a segment file kept open for reading while a session is open
        self._rd_seg = -1  # its number

    # -- paths and small file helpers

    def _path(self, n):
        return "%s/%08d.seg" % (self.root, n)

    def _reader(self, n):
        # segment n open for reading. From a START to its END it stays open: opening a
        # file costs ~3.4 ms on a Pico (littlefs), more than a GET_LOGS may hold the
        # cue loop while a session plays; every write closes it first
        if self._rd_seg != n:
            self.close_reader()
            self._rd = open(self._path(n), "rb")
            self._rd_seg = n
        return self._rd

    def close_reader(self):
        """Close the segment read_into kept open (before every write: no file is
        read and written through two handles at once)."""
        f = self._rd
        if f is not None:
            self._rd = None
            self._rd_seg = -1
            f.close()

    def _read_slot(self, f, slot):
        # read one record into self._buf; True if it is valid
        f.seek(slot * _SIZE)
        if f.readinto(self._buf) != _SIZE:
            return False
        return lr.check(self._buf, 0)

    def _write_meta(self):
        # at boot and on CLEAR_LOGS (idle) only: its buffer is made here, not kept
        m = bytearray(_META_LEN)
        struct.pack_into(_META_FMT, m, 0, self.boot, self.cleared, self.epoch, 0)
        c = lr.crc16(m, 0, 12)
        m[12] = c & 0xFF
        m[13] = c >> 8
        tmp = self.root + "/meta.new"
        with open(tmp, "wb") as f:
            f.write(m)
        os.rename(tmp, self.root + "/meta")

    def _read_meta(self):
        # False if there is no usable meta (a new logbook, or one lost)
        m = bytearray(_META_LEN)
        try:
            with open(self.root + "/meta", "rb") as f:
                n = f.readinto(m)
        except OSError:
            return False
        if n != _META_LEN and n != _META_V1_LEN:
            return False
        c = lr.crc16(m, 0, n - 2)
        if (c & 0xFF) != m[n - 2] or (c >> 8) != m[n - 1]:
            return False
        self.boot, self.cleared = struct.unpack_from("<II", m, 0)
        if n == _META_LEN:
            self.epoch[:] = m[8:12]
        else:
            # a logbook from before epochs gets one now; the host matches its
            # records with the ones it already has (docs/log-format.md)
            self.epoch[:] = _new_epoch()
        return True

    # -- public API

    def epoch_hex(self):
        """The log epoch as 8 hex digits (INFO)."""
        return "%02x%02x%02x%02x" % (self.epoch[0], self.epoch[1], self.epoch[2], self.epoch[3])

    def open(self, cut_outcome=lr.OUT_POWER_CUT):
        """Scan the log at boot: count this boot, find the next seq, close a cut session.

        A session left open is closed with cut_outcome: the app passes OUT_FAULT
        when it restarts itself after a crash.
        """
        try:
            os.stat(self.root)
        except OSError:
            os.mkdir(self.root)
        if not self._read_meta():
            self.epoch[:] = _new_epoch()
        nums = []
        for name in os.listdir(self.root):
            if len(name) == 12 and name[8:] == ".seg":
                try:
                    nums.append(int(name[:8]))
                except ValueError:
                    pass
        nums.sort()
        self._segs = nums
        self._next_seg = nums[-1] + 1 if nums else 0
        self._firsts = []
        self._slots = []
        for n in nums:
            path = self._path(n)
            size = os.stat(path)[6]
            slots = size // _SIZE
            first = 0
            with open(path, "rb") as f:
                for s in range(slots):
                    if self._read_slot(f, s):
                        first = lr.seq(self._buf, 0)
                        break
            self._firsts.append(first)
            self._slots.append(slots)
            # a torn tail would misalign later appends: start a fresh segment
            self._tail_ok = size % _SIZE == 0
        # the newest valid record gives the next seq and tells whether a session was cut
        last_seq = 0
        last_type = 0
        last_boot = 0
        i = len(nums) - 1
        while i >= 0 and not last_seq:
            with open(self._path(nums[i]), "rb") as f:
                s = self._slots[i] - 1
                while s >= 0:
                    if self._read_slot(f, s):
                        last_seq = lr.seq(self._buf, 0)
                        last_type = lr.rtype(self._buf, 0)
                        last_boot = lr.boot(self._buf, 0)
                        break
                    if i == len(nums) - 1:
                        self._tail_ok = False  # invalid newest slot: do not append after it
                    s -= 1
            i -= 1
        self.next_seq = max(last_seq, self.cleared) + 1
        self.boot = max(self.boot, last_boot) + 1
        self._write_meta()
        if last_type == lr.START and last_seq > self.cleared:
            # self._buf still holds that START: its END says "cut by power"
            lr.finish(self._buf, 0, lr.UNKNOWN_U16, lr.UNKNOWN_U8, lr.UNKNOWN_U8,
                      cut_outcome, lr.NOT_RATED)
            self._write(self._buf)

    def append(self, record):
        """Stamp the next seq into a 32-byte record, write it, return the seq.

        Call only between cues: it writes flash (tens of ms).
        """
        b = self._buf
        if record is not b:
            b[:] = record
        if not lr.check(b, 0):
            raise ValueError("bad log record")
        if lr.rtype(b, 0) != lr.END and self._in_session:
            # a START (or MISSED) while a session is open: close it first so every
            # START is followed by its END (the app crashed without writing it)
            o = self._open
            lr.finish(o, 0, lr.UNKNOWN_U16, lr.UNKNOWN_U8, lr.UNKNOWN_U8,
                      lr.OUT_FAULT, lr.NOT_RATED)
            self._write(o)
        return self._write(b)

    def _write(self, b):
        # b is sealed and valid; may be self._buf or self._open
        self.close_reader()
        seq = self.next_seq
        lr.set_seq(b, 0, seq)
        segs = self._segs
        if not segs or not self._tail_ok or self._slots[-1] >= self.seg_records:
            self._evict()
            segs.append(self._next_seg)
            self._next_seg += 1
            self._firsts.append(0)
            self._slots.append(0)
            self._tail_ok = True
        with open(self._path(segs[-1]), "ab") as f:
            f.write(b)
        self._slots[-1] += 1
        if not self._firsts[-1]:
            self._firsts[-1] = seq
        self.next_seq = seq + 1
        self._in_session = lr.rtype(b, 0) == lr.START
        if self._in_session:
            self._open[:] = b
            self._reader(segs[-1])  # a pull while the session plays finds it open
        return seq

    def _evict(self):
        # keep at least `capacity` records before a new segment is started
        total = 0
        for s in self._slots:
            total += s
        while self._segs and total - self._slots[0] >= self.capacity:
            total -= self._slots[0]
            self._drop_oldest()

    def _drop_oldest(self):
        self.close_reader()
        os.remove(self._path(self._segs[0]))
        self._segs.pop(0)
        self._firsts.pop(0)
        self._slots.pop(0)

    def read_into(self, buf, from_seq):
        """Copy valid records with seq >= from_seq, oldest first, into buf (32-byte
        slots, as many as fit); return how many. Resume with last seq + 1. While a
        session is open (its START written, not its END) the last segment read stays
        open for the next call."""
        if from_seq <= self.cleared:
            from_seq = self.cleared + 1
        room = len(buf) // _SIZE
        n = 0
        segs = self._segs
        firsts = self._firsts
        # start in the newest segment whose first seq is <= from_seq
        start = 0
        for i in range(len(segs)):
            if firsts[i] and firsts[i] <= from_seq:
                start = i
        for i in range(start, len(segs)):
            if n >= room:
                break
            f = self._reader(segs[i])
            for s in range(self._first_slot(f, i, from_seq), self._slots[i]):
                if n >= room:
                    break
                if self._read_slot(f, s) and lr.seq(self._buf, 0) >= from_seq:
                    buf[n * _SIZE:(n + 1) * _SIZE] = self._buf
                    n += 1
        if not self._in_session:
            self.close_reader()
        return n

    def _first_slot(self, f, i, from_seq):
        # Where to start reading segment i for from_seq. Seqs rise slot by slot (append
        # only), one apart while nothing was cut, so from_seq sits about from_seq - first
        # slots in: one read there makes sure (a record at or before from_seq means every
        # slot before it is older); otherwise from the start. A pull from the middle of
        # a full segment then reads a few slots, not up to 127, each checked with a CRC
        # (half a millisecond a record on a Pico, and GET_LOGS may run while cues play).
        s = from_seq - self._firsts[i]
        if not self._firsts[i] or s <= 0:
            return 0
        if s >= self._slots[i]:
            s = self._slots[i] - 1
        if self._read_slot(f, s) and lr.seq(self._buf, 0) <= from_seq:
            return s
        return 0

    def read_from(self, from_seq, max_count):
        """Records with seq >= from_seq as one bytes object of up to max_count * 32 bytes."""
        buf = bytearray(max_count * _SIZE)
        n = self.read_into(buf, from_seq)
        return bytes(buf[:n * _SIZE])

    def clear_upto(self, seq):
        """Forget records with seq <= seq (after the host archived them)."""
        last = self.next_seq - 1
        if seq > last:
            seq = last
        if seq <= self.cleared:
            return
        self.cleared = seq
        self._write_meta()  # first: a cut after this still hides the records
        while self._segs:
            if len(self._segs) > 1:
                if not self._firsts[1] or self._firsts[1] - 1 > seq:
                    break
            elif last > seq:
                break
            self._drop_oldest()

    @property
    def first_seq(self):
        """Oldest seq still held (0 if none)."""
        for f in self._firsts:
            if f:
                return max(f, self.cleared + 1) if self.next_seq - 1 > self.cleared else 0
        return 0

    @property
    def last_seq(self):
        """Newest seq written (0 if none)."""
        return self.next_seq - 1 if self.next_seq - 1 > self.cleared else 0

    @property
    def count(self):
        """Records held: the seq span, as seqs are consecutive on the device."""
        first = self.first_seq
        return self.last_seq - first + 1 if first else 0
