# The app on the rp2 board (machine/neopixel stand-ins come first on the path:
# tests/mp/quiet_rp2 or fake_rp2) with a littlefs image for its flash, its link
# on a fake stream, for loop passes run under heap_lock. Import before `app`.

# The replies' buffer is taken before the app's modules cut up the heap, as storage.py
# takes its table buffer: 8 KB found in one piece later depends on how the imports
# happened to leave it (a test stand-in for USB, not the device's memory).
_SINK = bytearray(8192)

import hal  # noqa: E402
import hal_rp2  # noqa: E402
import hal_sim  # noqa: E402

hal_sim.Board.mount_flash()
hal_rp2.Board.fs_root = "/flash"
hal.impl = hal_rp2
hal.FS_ROOT = "/flash"

import reflash  # noqa: E402

frame = reflash._frame  # a request frame as the host sends it


class Sink:
    """Keeps reply bytes in a buffer made up front."""

    def __init__(self, size=4096):
        self.buf = _SINK if size <= len(_SINK) else bytearray(size)
        self.n = 0

    def write(self, b, n=-1):
        if n < 0:
            n = len(b)
        j = self.n
        buf = self.buf
        for i in range(n):
            buf[j + i] = b[i]
        self.n = j + n
        return n


def boot(table_bytes, sink_size=4096):
    """(device, reader, sink): the app booted with table_bytes, its link on a fake reader and a Sink."""
    sink = Sink(sink_size)
    dev, rd = reflash.boot_linked(table_bytes, sink, 2048)
    return dev, rd, sink


def print_replies(sink):
    """`replies <hex>`, in pieces: one big hex string would need a large free block."""
    print("replies", end=" ")
    for i in range(0, sink.n, 64):
        print(bytes(sink.buf[i : min(i + 64, sink.n)]).hex(), end="")
    print()
