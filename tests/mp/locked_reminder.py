# The app loop pass (Device.step) under heap_lock while a plan reminder glows,
# on the rp2 board with non-allocating machine/neopixel stand-ins, STATUS
# polled over the link meanwhile. Prints what happened.
import time

import micropython
import planlink
import rp2_app


def run(table_bytes, plan_bytes, epoch_s, seconds=2):
    dev, rd, sink = rp2_app.boot(table_bytes)
    put = planlink.put(dev.reminders, plan_bytes, dev.storage.table)
    dev.set_clock(epoch_s & 0xFFFF, epoch_s >> 16, 0)
    status = rp2_app.frame(0x32, b"")
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
    rp2_app.print_replies(sink)
