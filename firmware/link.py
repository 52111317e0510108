# The USB-serial link: framed requests on stdin, replies on stdout, beside
# the REPL. Spec: docs/link.md. Numbers here and in host/ontspan/link.py must
# match; tests/vectors/link/ pins the bytes on both sides.
#
# Wire: 0x00 <encoded frame> 0x07. The encoding removes every byte 0x00..0x07
# from the frame body, so a frame never carries Ctrl-C (0x03) or the raw-REPL
# controls: the VM's keyboard interrupt stays on and mpremote can always
# take over.
import binascii
import select
import time

from contract import CMD_FEEL
from micropython import const

LINK_MAJOR = const(1)  # a host refuses a device with another major version
LINK_MINOR = const(0)  # new commands only; old hosts keep working
MAX_PAYLOAD = const(512)

# Commands (request code; the reply carries code | 0x80). The one table.
_HELLO = const(0x01)
_INFO = const(0x02)
_ECHO = const(0x03)
_PUT_TABLE_BEGIN = const(0x10)
_PUT_TABLE_CHUNK = const(0x11)
_PUT_TABLE_COMMIT = const(0x12)
_GET_TABLE = const(0x13)
_SET_CLOCK = const(0x20)
_GET_CLOCK = const(0x21)
_START = const(0x30)
_STOP = const(0x31)
_STATUS = const(0x32)
_SET_CONFIG = const(0x40)
_GET_CONFIG = const(0x41)
_GET_LOGS = const(0x50)
_CLEAR_LOGS = const(0x51)
_REBOOT = const(0x70)

# (code, handler name): Dispatcher binds handlers by name, so the codes stay
# in this one table. Reserved commands have no handler yet.
COMMANDS = (
    (_HELLO, "hello"),
    (_INFO, "info"),
    (_ECHO, "echo"),
    (_PUT_TABLE_BEGIN, "put_table_begin"),
    (_PUT_TABLE_CHUNK, "put_table_chunk"),
    (_PUT_TABLE_COMMIT, "put_table_commit"),
    (_GET_TABLE, "get_table"),
    (_SET_CLOCK, "set_clock"),
    (_GET_CLOCK, "get_clock"),
    (_START, "start"),
    (_STOP, "stop"),
    (_STATUS, "status"),
    (_SET_CONFIG, "set_config"),
    (_GET_CONFIG, "get_config"),
    (_GET_LOGS, "get_logs"),
    (_CLEAR_LOGS, "clear_logs"),
    (_REBOOT, "reboot"),
    (CMD_FEEL, "feel"),
)

# Reply status. Public names: handlers in other modules return them.
OK = const(0x00)
ERR_CRC = const(0x01)  # frame CRC mismatch
ERR_FRAME = const(0x02)  # bad encoding: forbidden byte, bad code byte, cut block
ERR_LENGTH = const(0x03)  # length field != frame size, or frame too long
ERR_UNKNOWN_CMD = const(0x04)  # no such command (or reserved, not built)
ERR_PAYLOAD = const(0x05)  # payload size or format wrong for the command
ERR_BUSY = const(0x06)  # not now (session playing, flash busy): retry later
ERR_STATE = const(0x07)  # out of order: CHUNK without BEGIN, COMMIT too early
ERR_OFFSET = const(0x08)  # chunk offset != expected; payload: expected u32
ERR_TABLE_CRC = const(0x09)  # staged table CRC != announced CRC
ERR_TABLE_REFUSED = const(0x0A)  # decoder refused; payload: table error code u8
ERR_TOO_LARGE = const(0x0B)  # table larger than the device accepts
ERR_NO_PROTOCOL = const(0x0C)  # START: id not in the table, or no table
ERR_VALUE = const(0x0D)  # value refused; payload: ASCII key or field name
ERR_STORAGE = const(0x0E)  # flash write/rename failed; payload: errno u8
ERR_INTERNAL = const(0x0F)  # handler raised; payload: exception text

_SOF = const(0x00)  # frame start
_EOF = const(0x07)  # frame end
_RESERVED = const(8)  # bytes < 8 never appear inside a frame
_RUN = const(27)  # literal lengths 0..26 per block
_NONE = const(8)  # block kind: no marker byte follows
_CODE_MAX = const(250)  # 8 + 8*27 + 26
_FULL = const(250)  # code of a full block with no marker

_HEAD = const(5)  # len u16, id u8, code u8, status u8
_TAIL = const(4)  # CRC-32 LE
_MAX_RAW = const(521)  # _HEAD + MAX_PAYLOAD + _TAIL
_MAX_ENC = const(544)  # 2 delimiters + _MAX_RAW + _MAX_RAW // 26 + 1 code bytes

_IDLE = const(0)  # between frames: ignore bytes until 0x00
_BODY = const(1)  # inside a frame
_SKIP = const(2)  # bad frame already answered: drop until 0x07 or 0x00

_DUP_MS = const(3000)  # a resent request within this window gets the cached reply


def encode(src, n, dst):
    """Encode frame bytes src[0:n] into dst with delimiters; returns the length."""
    dst[0] = _SOF
    ci = 1  # where the current block's code byte goes
    o = 2
    run = 0
    for i in range(n):
        b = src[i]
        if b < _RESERVED:
            dst[ci] = _RESERVED + b * _RUN + run
            ci = o
            o += 1
            run = 0
        else:
            dst[o] = b
            o += 1
            run += 1
            if run == _RUN - 1:
                dst[ci] = _FULL
                ci = o
                o += 1
                run = 0
    dst[ci] = _RESERVED + _NONE * _RUN + run
    dst[o] = _EOF
    return o + 1


class Link:
    """Frame server on two streams. poll() and reply() never block on input
    and never raise on bad bytes; all buffers are allocated here, once."""

    def __init__(self, instream, outstream, clock=None):
        self._in = instream
        self._rd = instream.readinto  # bound once: binding allocates
        self._out = outstream
        self._clock = time if clock is None else clock
        self._poll = select.poll()
        self._poll.register(instream, select.POLLIN)
        for _ev in self._poll.ipoll(0):
            pass  # ipoll allocates its result tuple on first use: do it now
        self._b1 = bytearray(1)
        self._rx = bytearray(_MAX_RAW)
        self._rxv = memoryview(self._rx)
        self._tx = bytearray(_MAX_RAW)
        self._txv = memoryview(self._tx)
        self._enc = bytearray(_MAX_ENC)
        self._encv = memoryview(self._enc)
        self.out = self._txv[_HEAD : _HEAD + MAX_PAYLOAD]  # handlers write replies here
        self._state = _IDLE
        self._n = 0
        self._left = 0
        self._mark = _NONE
        self._cmd = 0
        # the last reply, kept encoded in _enc for a resent request
        self._last_id = -1
        self._last_crc = -1
        self._last_len = 0
        self._last_ms = 0
        # counters (read by INFO; they wrap nowhere, Python ints)
        self.rx_frames = 0
        self.rx_bad = 0  # CRC, encoding and length errors
        self.rx_noise = 0  # bytes outside frames (REPL typing, line noise)
        self.rx_dups = 0  # resent requests answered from the cache
        self.tx_frames = 0
        self.tx_short = 0  # writes the stream did not take whole

    def poll(self, max_bytes=64):
        """Read at most max_bytes that are already waiting. Returns
        (cmd, req_id, payload memoryview) for a complete good request, else
        None. The payload is valid until the next poll()."""
        rd = self._rd
        b1 = self._b1
        rx = self._rx
        p = self._poll
        state = self._state
        n = self._n
        left = self._left
        mark = self._mark
        got = None
        for _ in range(max_bytes):
            ready = False
            for _ev in p.ipoll(0):
                ready = True
            if not ready:
                break
            if not rd(b1):
                break  # closed stream (the unix port at EOF): nothing to read
            b = b1[0]
            if b == _SOF:
                if state == _BODY and n:
                    self.rx_bad += 1  # cut short: no reply, its end never came
                state = _BODY
                n = 0
                left = 0
                mark = _NONE
            elif state != _BODY:
                if state == _IDLE:
                    self.rx_noise += 1
                elif b == _EOF:
                    state = _IDLE
            elif b == _EOF:
                state = _IDLE
                if left:
                    got = self._bad(n, ERR_FRAME)
                else:
                    got = self._frame(n)
                if got is not None:
                    break
            elif b < _RESERVED or (left == 0 and b > _CODE_MAX):
                state = _SKIP
                got = self._bad(n, ERR_FRAME)
                break
            elif left == 0:  # a code byte opens a block
                b -= _RESERVED
                mark = b // _RUN
                left = b - mark * _RUN
                if left == 0 and mark < _NONE:
                    if n == _MAX_RAW:
                        state = _SKIP
                        got = self._bad(n, ERR_LENGTH)
                        break
                    rx[n] = mark
                    n += 1
            else:
                if n == _MAX_RAW:
                    state = _SKIP
                    got = self._bad(n, ERR_LENGTH)
                    break
                rx[n] = b
                n += 1
                left -= 1
                if left == 0 and mark < _NONE:
                    if n == _MAX_RAW:
                        state = _SKIP
                        got = self._bad(n, ERR_LENGTH)
                        break
                    rx[n] = mark
                    n += 1
        self._state = state
        self._n = n
        self._left = left
        self._mark = mark
        if got is None or got is True:
            return None
        return got

    def _bad(self, n, status):
        """Count a broken frame; answer it if its id arrived. Returns True."""
        self.rx_bad += 1
        self._last_len = 0  # the error reply overwrites the cached one
        self._last_id = -1
        if n >= 3:
            self._send(self._rx[2], (self._rx[3] if n >= 4 else 0) | 0x80, status, 0)
        return True

    def _frame(self, n):
        """A complete frame of n decoded bytes: check it, return the request."""
        rx = self._rx
        if n < _HEAD + _TAIL:
            return self._bad(n, ERR_LENGTH) if n else None  # 0x00 0x07: empty, harmless
        plen = rx[0] | (rx[1] << 8)
        crc = rx[n - 4] | (rx[n - 3] << 8) | (rx[n - 2] << 16) | (rx[n - 1] << 24)
        if crc != binascii.crc32(self._rxv[: n - _TAIL]):
            return self._bad(n, ERR_CRC)
        if plen + _HEAD + _TAIL != n:
            return self._bad(n, ERR_LENGTH)
        cmd = rx[3]
        if cmd & 0x80:
            return True  # a reply (our own echo at a REPL, a loopback): not for us
        rid = rx[2]
        self.rx_frames += 1
        if (
            rid == self._last_id
            and crc == self._last_crc
            and self._last_len
            and self._clock.ticks_diff(self._clock.ticks_ms(), self._last_ms) < _DUP_MS
        ):
            self.rx_dups += 1
            self._write(self._last_len)  # the reply was lost: same answer, no second run
            return True
        self._last_id = rid
        self._last_crc = crc
        self._last_len = 0
        self._cmd = cmd
        return (cmd, rid, self._rxv[_HEAD : _HEAD + plen])

    def reply(self, req_id, status, payload=b""):
        """Answer request req_id (the last one poll() returned) with payload bytes."""
        n = len(payload)
        if n > MAX_PAYLOAD:
            status = ERR_INTERNAL
            n = 0
        else:
            self.out[:n] = payload
        self.reply_out(req_id, status, n)

    def reply_out(self, req_id, status, n):
        """Answer request req_id with the n bytes a handler wrote into self.out."""
        m = self._send(req_id, self._cmd | 0x80, status, n)
        if req_id == self._last_id:
            self._last_len = m
            self._last_ms = self._clock.ticks_ms()
        else:
            self._last_len = 0

    def _send(self, req_id, code, status, n):
        tx = self._tx
        tx[0] = n & 0xFF
        tx[1] = n >> 8
        tx[2] = req_id
        tx[3] = code
        tx[4] = status
        end = _HEAD + n
        crc = binascii.crc32(self._txv[:end])
        tx[end] = crc & 0xFF
        tx[end + 1] = (crc >> 8) & 0xFF
        tx[end + 2] = (crc >> 16) & 0xFF
        tx[end + 3] = (crc >> 24) & 0xFF
        m = encode(tx, end + _TAIL, self._enc)
        self._write(m)
        return m

    def _write(self, m):
        # One write per frame. A CDC write stalls (up to 500 ms on rp2) only
        # when the host stops reading, and only requests make us write.
        try:
            w = self._out.write(self._encv[:m])
        except OSError:
            w = 0
        if w is not None and w != m:
            self.tx_short += 1
        else:
            self.tx_frames += 1
        flush = getattr(self._out, "flush", None)
        if flush:
            try:
                flush()
            except OSError:
                pass


def ok(n=0):
    """Handler result: success with n payload bytes in link.out."""
    return n


def fail(status, n=0):
    """Handler result: error status with n detail bytes in link.out."""
    return (status << 16) | n


class Dispatcher:
    """Calls handlers found by name in `handlers` (a module or object) as
    handler(dev, link, payload, out) -> ok(n) or fail(status, n)."""

    def __init__(self, handlers, dev):
        self.dev = dev
        self.table = {}
        for code, name in COMMANDS:
            h = getattr(handlers, name, None)
            if h is not None:
                self.table[code] = h

    def handle(self, link, req):
        """Run the handler for req (from Link.poll) and send its reply."""
        cmd, rid, payload = req
        h = self.table.get(cmd)
        if h is None:
            link.reply_out(rid, ERR_UNKNOWN_CMD, 0)
            return
        try:
            r = h(self.dev, link, payload, link.out)
        except Exception as e:  # a handler bug must not stop a session
            msg = repr(e).encode()[:MAX_PAYLOAD]
            link.reply(rid, ERR_INTERNAL, msg)
            return
        link.reply_out(rid, r >> 16, r & 0xFFFF)
