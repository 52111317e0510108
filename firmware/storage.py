# What the device keeps on its flash besides the log: the protocol table (and
# the upload staged beside it), the chosen protocol, the config file.
#
# Memory: the table lives in one buffer allocated once at boot, sized by the
# table limit (8 KB of the Pico's heap; a second one for uploads would cost as
# much again). An upload is staged on flash chunk by chunk; COMMIT reads it
# into that buffer and validates it there: good, it is renamed over the live
# file; refused, the live table is read back from its file. Uploads run only
# while idle (the busy guard), so no session reads the buffer meanwhile.
# Nothing here allocates more than a few small objects per upload, so
# reflashing a thousand times cannot fragment the heap.
#
# Flash is written only while no session is on: the busy guard in service.py
# refuses those link commands, and save_selection() asks the same busy().
import os

import config
import table
from contract import TABLE_MAX

MAX_TABLE = TABLE_MAX  # the contract's limit; buffers are sized by it
_TABLE = "/table.bin"
_STAGE = "/table.new"
_STATE = "/state.json"

# Allocated when this module is first imported (app.py imports it first, before
# the heap is cut up by loading the rest) and kept for the life of the VM: an
# app restart after a fault reuses it. One byte over the limit, so an
# oversized file is seen as such.
_BUF = bytearray(MAX_TABLE + 1)


class Storage:
    def __init__(self, root, busy):
        self.root = root
        self.busy = busy  # fn() -> True while a session plays, is paused or waits for a rating
        self._buf = _BUF
        self.table = None  # a validated table.Table over the live buffer, or None
        self.size = 0
        self.selected = 0  # index of the chosen protocol
        self._stage = None
        self.load_table()
        self.selected = self._load_selection()

    # -- the table ---------------------------------------------------------------
    def _read_into(self, name, buf):
        """Bytes of file root+name read into buf (0 if missing)."""
        try:
            with open(self.root + name, "rb") as f:
                return f.readinto(buf) or 0
        except OSError:
            return 0

    def _check(self, buf, n):
        """A validated Table over buf[:n], or None."""
        if n == 0 or n > MAX_TABLE:
            return None
        t = table.Table(memoryview(buf)[:n])
        return None if t.err else t

    def load_table(self):
        """Load and validate the live table; a bad or missing one leaves none (never raises)."""
        buf = self._buf
        n = self._read_into(_TABLE, buf)
        t = self._check(buf, n)
        self.table = t
        self.size = n if t else 0
        return t

    def read_table(self, offset, out):
        """Copy live table bytes from offset into out; returns how many."""
        t = self.table
        if t is None:
            return 0
        n = min(len(out), self.size - offset)
        if n <= 0:
            return 0
        out[:n] = memoryview(self._buf)[offset : offset + n]
        return n

    # -- the staged upload ---------------------------------------------------------
    def stage_begin(self, total):
        self.stage_abort()
        self._stage = open(self.root + _STAGE, "wb")
        return 0

    def stage_write(self, data):
        f = self._stage
        if f is None:
            return -1
        f.write(data)
        return 0

    def stage_commit(self):
        """0, or the table.E_* code the decoder refused the staged table with."""
        f = self._stage
        if f is None:
            return table.E_LENGTH
        f.close()
        self._stage = None
        self.table = None  # the buffer now holds the upload
        buf = self._buf
        n = self._read_into(_STAGE, buf)
        t = table.Table(memoryview(buf)[:n]) if 0 < n <= MAX_TABLE else None
        err = table.E_LENGTH if t is None else t.err
        if err:
            self._remove(_STAGE)
            self.load_table()  # the live table again, from its file
            return err
        os.rename(self.root + _STAGE, self.root + _TABLE)  # atomic on littlefs
        self.table = t
        self.size = n
        self.selected = self._load_selection()
        return 0

    def stage_abort(self):
        if self._stage is not None:
            try:
                self._stage.close()
            except OSError:
                pass
            self._stage = None
        self._remove(_STAGE)

    def _remove(self, name):
        try:
            os.remove(self.root + name)
        except OSError:
            pass

    # -- the chosen protocol -----------------------------------------------------------
    def _load_selection(self):
        try:
            with open(self.root + _STATE) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            pid = 0
        t = self.table
        if t is None or not t.count():
            return 0
        i = t.index_of(pid)
        return i if i >= 0 else 0

    def choose_next(self):
        """The next protocol becomes the chosen one (kept across power cuts)."""
        t = self.table
        if t is None or self.busy():
            return
        self.selected = (self.selected + 1) % t.count()
        try:
            with open(self.root + _STATE + ".tmp", "w") as f:
                f.write(str(t.proto_id(self.selected)))
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
