# What the device keeps on its flash besides the log: the protocol table (and
# the upload staged beside it), the chosen protocol, the config file.
#
# Memory: the live table is one buffer the size of the table itself (472 bytes
# for the whole library, 8 KB at the contract's limit), read from
# /protocols/table.bin at boot. An upload is received into a second buffer of
# the size BEGIN declares; COMMIT validates it there, once, and only a good one
# reaches flash: written to the staging file and renamed over the live one
# (atomic on littlefs: a power cut leaves the old table or the new, never half),
# after which that buffer is the live table and the old one is dropped. A
# refused upload is dropped and never touches flash: the live table stays as it
# was, in RAM and on flash. The two buffers live together only from BEGIN to
# COMMIT, which run only while idle (the busy guard). Nothing else here
# allocates more than a few small objects per upload, so reflashing a thousand
# times cannot fragment the heap (tests/fw/test_app_memory.py).
#
# The table and its staging file have a directory of their own: on a Pico the
# root holds every module of the firmware, and littlefs rewrites a directory's
# entries when it commits a change to it, so a write and a rename there took
# 43 ms of a Pico's time (up to 65 ms), 19 ms in a directory of two files. The
# first COMMIT of a device makes the directory; `ontspan install` moves a table
# older firmware kept at /table.bin into it.
#
# Flash is written only while no session is on: the busy guard in service.py
# refuses those link commands, and save_selection() asks the same busy().
import os

import config
import table
from contract import E_LENGTH, TABLE_MAX

MAX_TABLE = TABLE_MAX  # the contract's limit: the largest table a buffer is made for
_DIR = "/protocols"  # no module has this name: a directory on sys.path would shadow it
_TABLE = "/protocols/table.bin"
_STAGE = "/protocols/table.new"
_STATE = "/state.json"
_ENOMEM = 12  # errno of a BEGIN the heap has no room for (ERR_STORAGE's detail)


class Storage:
    def __init__(self, root, busy):
        self.root = root
        self.busy = busy  # fn() -> True while a session plays, is paused or waits for a rating
        self.buf = None  # the live table's bytes (a buffer of its size), or None
        self.table = None  # a validated table.Table over self.buf, or None
        self.size = 0
        self.selected = 0  # index of the chosen protocol
        self._new = None  # the upload being received: a buffer of its declared size
        self._got = 0  # bytes of it received
        self._staged = False  # the staging file may exist (COMMIT got as far as writing it)
        self._pid = self._stored_pid()  # the chosen protocol's id as kept on flash
        self.load_table()
        self.selected = self._index_of_chosen()

    # -- the table ---------------------------------------------------------------
    def load_table(self):
        """Load and validate the live table; a bad or missing one leaves none (never raises)."""
        self.table = None
        self.buf = None
        self.size = 0
        try:
            n = os.stat(self.root + _TABLE)[6]
            if n < 1 or n > MAX_TABLE:
                return None  # empty or over the limit: refused unread
            buf = bytearray(n)
            with open(self.root + _TABLE, "rb") as f:
                if f.readinto(buf) != n:
                    return None
        except (OSError, MemoryError):
            return None
        t = table.Table(buf)
        table.drop_check()  # checked: its code is not needed again until an upload
        if t.err:
            return None
        self.buf = buf
        self.table = t
        self.size = n
        return t

    def read_table(self, offset, out):
        """Copy live table bytes from offset into out; returns how many."""
        buf = self.buf
        if buf is None:
            return 0
        n = min(len(out), self.size - offset)
        if n <= 0:
            return 0
        out[:n] = memoryview(buf)[offset : offset + n]
        return n

    # -- the upload ----------------------------------------------------------------
    def stage_begin(self, total):
        """Room for an upload of `total` bytes (the link checked it against MAX_TABLE)."""
        self.stage_abort()
        try:
            self._new = bytearray(total)
        except MemoryError:
            raise OSError(_ENOMEM) from None  # the link answers ERR_STORAGE with this errno
        self._got = 0
        return 0

    def stage_write(self, data):
        """Append data (the link checked its offset and that it fits)."""
        b = self._new
        if b is None:
            return -1
        n = len(data)
        b[self._got : self._got + n] = data
        self._got += n
        return 0

    def stage_commit(self):
        """0, or the E_* code the validator (tablecheck.py) refused the upload with (dropped,
        nothing written). A good table goes to flash and becomes the live one."""
        new = self._new
        if new is None or self._got != len(new):
            return E_LENGTH
        self._new = None
        t = table.Table(new)  # the validator stays while the host talks (service.drop_rooms)
        if t.err:
            return t.err
        self._staged = True
        try:
            f = open(self.root + _STAGE, "wb")
        except OSError:
            os.mkdir(self.root + _DIR)  # the device's first table
            f = open(self.root + _STAGE, "wb")
        with f:
            f.write(new)
        os.rename(self.root + _STAGE, self.root + _TABLE)  # atomic on littlefs
        self._staged = False
        self.buf = new  # the old buffer goes with the old Table
        self.table = t
        self.size = len(new)
        self.selected = self._index_of_chosen()
        return 0

    def stage_abort(self):
        """Drop an upload in progress (and a staging file a failed COMMIT left)."""
        self._new = None
        self._got = 0
        if self._staged:
            self._staged = False
            try:
                os.remove(self.root + _STAGE)
            except OSError:
                pass

    # -- the chosen protocol -----------------------------------------------------------
    def _stored_pid(self):
        try:
            with open(self.root + _STATE) as f:
                return int(f.read())
        except (OSError, ValueError):
            return 0

    def _index_of_chosen(self):
        # the chosen id's index in the live table (0 if none or not in it): kept in
        # RAM, so a COMMIT finds it in the new table without reading the file again
        t = self.table
        if t is None or not t.count():
            return 0
        i = t.index_of(self._pid)
        return i if i >= 0 else 0

    def choose_next(self):
        """The next protocol becomes the chosen one (kept across power cuts)."""
        t = self.table
        if t is None or self.busy():
            return
        self.selected = (self.selected + 1) % t.count()
        self._pid = t.proto_id(self.selected)
        try:
            with open(self.root + _STATE + ".tmp", "w") as f:
                f.write(str(self._pid))
            os.rename(self.root + _STATE + ".tmp", self.root + _STATE)
        except OSError:
            pass

    # -- the config file ---------------------------------------------------------------
    def save_config(self, cfg):
        config.save(self.root, cfg)

    def flash_free(self):
        try:
            st = os.statvfs(self.root or "/")
            return st[0] * st[3]
        except OSError:
            return -1
