# In-memory streams for the link: the reader hands out at most what it holds,
# like a USB CDC endpoint, and never allocates in readinto (heap_lock tests).
import io

_POLL = 3  # MP_STREAM_POLL
_POLLIN = 1


class Reader(io.IOBase):
    def __init__(self, data=b"", size=4096):
        self.buf = bytearray(size)
        self.n = 0
        self.i = 0
        self.feed(data)

    def feed(self, data):
        """Queue more bytes (compacts first: the test may feed forever)."""
        if self.i:
            rest = self.n - self.i
            self.buf[:rest] = self.buf[self.i : self.n]
            self.n = rest
            self.i = 0
        m = len(data)
        self.buf[self.n : self.n + m] = data
        self.n += m

    def pending(self):
        return self.n - self.i

    def readinto(self, b):
        i = self.i
        k = 0
        m = len(b)
        while k < m and i < self.n:
            b[k] = self.buf[i]
            i += 1
            k += 1
        self.i = i
        return k

    def ioctl(self, req, arg):
        if req == _POLL:
            return _POLLIN if self.i < self.n else 0
        return 0


class Writer(io.IOBase):
    def __init__(self):
        self.data = bytearray()

    def write(self, b, n=-1):
        # (buf[, length]) like a MicroPython stream: the link writes part of its buffer
        if n < 0:
            n = len(b)
        self.data.extend(memoryview(b)[:n])
        return n

    def take(self):
        d = bytes(self.data)
        self.data = bytearray()
        return d

    def ioctl(self, req, arg):
        return 0
