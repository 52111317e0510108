# The USB-serial link: framed requests on stdin, replies on stdout, beside
# the REPL. Spec: docs/link.md; every code and size is in contract.py.
# tests/vectors/link/ pins the bytes on both sides.
#
# Wire: 0x00 <encoded frame> 0x07. The encoding removes every byte 0x00..0x07
# from the frame body, so a frame never carries Ctrl-C (0x03) or the raw-REPL
# controls: the VM's keyboard interrupt stays on and mpremote can always
# take over.
import select
import time

from contract import (
    COMMANDS,
    ERR_BUSY,  # noqa: F401  (handlers and the app read the codes as link.ERR_*)
    ERR_CRC,
    ERR_FRAME,
    ERR_INTERNAL,
    ERR_LENGTH,
    ERR_NO_PROTOCOL,  # noqa: F401
    ERR_OFFSET,  # noqa: F401
    ERR_PAYLOAD,  # noqa: F401
    ERR_STATE,  # noqa: F401
    ERR_STORAGE,  # noqa: F401
    ERR_TABLE_CRC,  # noqa: F401
    ERR_TABLE_REFUSED,  # noqa: F401
    ERR_TOO_LARGE,  # noqa: F401
    ERR_UNKNOWN_CMD,
    ERR_VALUE,  # noqa: F401
    FRAME_EOF,
    FRAME_HEAD,
    FRAME_NO_MARK,
    FRAME_RESERVED,
    FRAME_RUN,
    FRAME_SOF,
    FRAME_TAIL,
    LINK_MAJOR,  # noqa: F401
    LINK_MINOR,  # noqa: F401
    MAX_PAYLOAD,
    REPLY_BIT,
)
from frame import (  # noqa: F401  (link.encode, link.crc32_into: tests)
    CODE_MAX,
    crc32_into,
    encode,
    encode_part,
)
from micropython import const

# derived sizes (plain globals: const() cannot fold names another module defines;
# on a device the build has made those names const(), see host ontspan.device.inline)
_MAX_RAW = FRAME_HEAD + MAX_PAYLOAD + FRAME_TAIL  # 521
_MAX_ENC = 2 + _MAX_RAW + _MAX_RAW // (FRAME_RUN - 1) + 1  # delimiters, bytes, code bytes

_IDLE = const(0)  # own (receiver state): between frames, ignore bytes until 0x00
_BODY = const(1)  # inside a frame
_SKIP = const(2)  # bad frame already answered: drop until 0x07 or 0x00

_DUP_MS = const(3000)  # a resent request within this window gets the cached reply
_VIEWS = const(8)  # requests with payloads up to this size get a ready-made view


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
        # payload views for the short requests (most of them), made once: a request
        # of up to _VIEWS bytes is served without allocating a memoryview
        self._views = [self._rxv[FRAME_HEAD : FRAME_HEAD + k] for k in range(_VIEWS + 1)]
        self._req = [0, 0, self._views[0]]  # what poll() returns: cmd, id, payload
        self._crc = bytearray(4)  # CRC of the frame being checked
        # The reply is built in the request's own buffer: a request is whole before
        # its handler runs, and every handler reads its payload before it writes
        # `out` (same offsets), so one buffer serves both and a resend is answered
        # from _enc. 0.5 KB of the Pico's heap.
        self._tx = self._rx
        self._txv = self._rxv
        self._enc = bytearray(_MAX_ENC)
        self._wr = outstream.write  # bound once: binding allocates
        self._flush = getattr(outstream, "flush", None)
        self.out = self._txv[FRAME_HEAD : FRAME_HEAD + MAX_PAYLOAD]  # handlers write replies here
        self._state = _IDLE
        self._n = 0
        self._left = 0
        self._mark = FRAME_NO_MARK
        self._cmd = 0
        # the last reply, kept encoded in _enc for a resent request
        self._last_id = -1
        self._last_crc = bytearray(4)  # CRC of the last request, for resends
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
        sof = FRAME_SOF  # locals for the per-byte loop (see encode)
        eof = FRAME_EOF
        reserved = FRAME_RESERVED
        run_max = FRAME_RUN
        no_mark = FRAME_NO_MARK
        code_max = CODE_MAX
        max_raw = _MAX_RAW
        for _ in range(max_bytes):
            ready = False
            for _ev in p.ipoll(0):
                ready = True
            if not ready:
                break
            if not rd(b1):
                break  # closed stream (the unix port at EOF): nothing to read
            b = b1[0]
            if b == sof:
                if state == _BODY and n:
                    self.rx_bad += 1  # cut short: no reply, its end never came
                state = _BODY
                n = 0
                left = 0
                mark = no_mark
            elif state != _BODY:
                if state == _IDLE:
                    self.rx_noise += 1
                elif b == eof:
                    state = _IDLE
            elif b == eof:
                state = _IDLE
                if left:
                    got = self._bad(n, ERR_FRAME)
                else:
                    got = self._frame(n)
                if got is not None:
                    break
            elif b < reserved or (left == 0 and b > code_max):
                state = _SKIP
                got = self._bad(n, ERR_FRAME)
                break
            elif left == 0:  # a code byte opens a block
                b -= reserved
                mark = b // run_max
                left = b - mark * run_max
                if left == 0 and mark < no_mark:
                    if n == max_raw:
                        state = _SKIP
                        got = self._bad(n, ERR_LENGTH)
                        break
                    rx[n] = mark
                    n += 1
            else:
                if n == max_raw:
                    state = _SKIP
                    got = self._bad(n, ERR_LENGTH)
                    break
                rx[n] = b
                n += 1
                left -= 1
                if left == 0 and mark < no_mark:
                    if n == max_raw:
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
            self._send(self._rx[2], (self._rx[3] if n >= 4 else 0) | REPLY_BIT, status, 0)
        return True

    def _frame(self, n):
        """A complete frame of n decoded bytes: check it, return the request."""
        rx = self._rx
        if n < FRAME_HEAD + FRAME_TAIL:
            return self._bad(n, ERR_LENGTH) if n else None  # 0x00 0x07: empty, harmless
        plen = rx[0] | (rx[1] << 8)
        c = self._crc
        crc32_into(rx, n - FRAME_TAIL, c, 0)
        if c[0] != rx[n - 4] or c[1] != rx[n - 3] or c[2] != rx[n - 2] or c[3] != rx[n - 1]:
            return self._bad(n, ERR_CRC)
        if plen + FRAME_HEAD + FRAME_TAIL != n:
            return self._bad(n, ERR_LENGTH)
        cmd = rx[3]
        if cmd & REPLY_BIT:
            return True  # a reply (our own echo at a REPL, a loopback): not for us
        rid = rx[2]
        self.rx_frames += 1
        last = self._last_crc
        if (
            rid == self._last_id
            and c[0] == last[0]
            and c[1] == last[1]
            and c[2] == last[2]
            and c[3] == last[3]
            and self._last_len
            and self._clock.ticks_diff(self._clock.ticks_ms(), self._last_ms) < _DUP_MS
        ):
            self.rx_dups += 1
            self._write(self._last_len)  # the reply was lost: same answer, no second run
            return True
        self._last_id = rid
        last[0] = c[0]
        last[1] = c[1]
        last[2] = c[2]
        last[3] = c[3]
        self._last_len = 0
        self._cmd = cmd
        req = self._req
        req[0] = cmd
        req[1] = rid
        req[2] = self._views[plen] if plen <= _VIEWS else self._rxv[FRAME_HEAD : FRAME_HEAD + plen]
        return req

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
        m = self._send(req_id, self._cmd | REPLY_BIT, status, n)
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
        end = FRAME_HEAD + n
        crc32_into(tx, end, tx, end)
        enc = self._enc
        enc[0] = FRAME_SOF
        m = encode_part(tx, 0, end + FRAME_TAIL, enc, 1, 2, 0, 1)  # encode(), inlined: one viper call
        self._write(m)
        return m

    def _write(self, m):
        # One write per frame. A CDC write stalls (up to 500 ms on rp2) only
        # when the host stops reading, and only requests make us write.
        try:
            w = self._wr(self._enc, m)  # (buf, length): no slice of the buffer is made
        except OSError:
            w = 0
        if w is not None and w != m:
            self.tx_short += 1
        else:
            self.tx_frames += 1
        flush = self._flush
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
    handler(dev, link, payload, out) -> ok(n) or fail(status, n).

    Command CMD_FOO in contract.py is served by handlers.foo: the codes stay in
    the contract alone, and a command without a handler answers ERR_UNKNOWN_CMD."""

    def __init__(self, handlers, dev, prepare=True):
        self.dev = dev
        self.table = {}
        for code, name in COMMANDS:
            h = getattr(handlers, name, None)
            if h is not None:
                self.table[code] = h
        ready = getattr(handlers, "ready", None)
        if prepare and ready is not None and dev is not None:
            ready(dev)  # handlers prepare for this device now (the app: after its greeting)

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
