# The app loop pass (Device.step) under heap_lock while a plan reminder glows,
# on the rp2 board with non-allocating machine/neopixel stand-ins, STATUS
# polled over the link meanwhile. Prints what happened.
import time

import hal
import hal_rp2
import hal_sim
import micropython

hal_sim.Board.mount_flash()
hal_rp2.Board.fs_root = "/flash"
hal.impl = hal_rp2
hal.FS_ROOT = "/flash"

import app  # noqa: E402
import fake_stream  # noqa: E402
import link  # noqa: E402
import reflash  # noqa: E402


class Sink:
    """Keeps reply bytes in a buffer made up front."""

    def __init__(self):
        self.buf = bytearray(4096)
        self.n = 0

    def write(self, b, n=-1):
        if n < 0:
            n = len(b)
        j = self.n
        for i in range(n):
            self.buf[j + i] = b[i]
        self.n = j + n
        return n


def run(table_bytes, plan_bytes, epoch_s, seconds=2):
    with open("/flash/table.bin", "wb") as f:
        f.write(table_bytes)
    dev = app.boot()
    rd = fake_stream.Reader(size=2048)
    sink = Sink()
    dev.link = link.Link(rd, sink, dev.clk)
    put = dev.reminders.put(plan_bytes, dev.storage.table)
    dev.set_clock(epoch_s & 0xFFFF, epoch_s >> 16, 0)
    status = reflash._frame(0x32, b"")
    for _ in range(50):  # warm up: first calls may allocate once
        dev.step()
    rd.feed(status)
    for _ in range(5):
        dev.step()
    sink.n = 0
    sent = 0
    steps = 0
    t0 = time.ticks_ms()
    micropython.heap_lock()
    try:
        while time.ticks_diff(time.ticks_ms(), t0) < seconds * 1000:
            if steps % 25 == 0 and not rd.pending() and sent < 100:
                rd.i = rd.n = 0
                rd.feed(status)
                sent += 1
            dev.step()
            steps += 1
    finally:
        micropython.heap_unlock()
    st = dev.status()
    print("put", put, "glowing", dev.reminders.glowing, "state", st[0], "pid", st[1],
          "flags", st[2], "left", st[4], "sent", sent, "writes", dev.board.ring._np.writes)
    print("replies", bytes(sink.buf[: sink.n]).hex())
