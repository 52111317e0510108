# The wall clock on a 31-bit port: set the clock to a time past 2026 over the
# link, play a session and answer GET_CLOCK under heap_lock, then list every
# int the app holds (device, session, engine) that a 31-bit small int cannot
# carry. Prints "big <n> <names>", the GET_CLOCK replies as hex and the log.
import struct
import time

import micropython
import rp2_app

_LO = -(1 << 30)
_HI = (1 << 30) - 1


def _bigs(prefix, obj, out):
    for k in dir(obj):
        if k.startswith("__"):
            continue
        try:
            v = getattr(obj, k)
        except Exception:
            continue
        if isinstance(v, int) and not isinstance(v, bool) and not _LO <= v <= _HI:
            out.append(prefix + k + "=" + str(v))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                if isinstance(x, int) and not _LO <= x <= _HI:
                    out.append(prefix + k + "[" + str(i) + "]=" + str(x))


def run(table_bytes, epoch, tz, seconds=3):
    dev, rd, sink = rp2_app.boot(table_bytes)
    f = rp2_app.frame
    for _ in range(20):
        dev.step()
    rd.feed(f(0x20, struct.pack("<Ih", epoch, tz)))  # SET_CLOCK
    for _ in range(5):
        dev.step()
    get_clock = f(0x21, b"")
    rd.feed(get_clock)  # once before the lock: first uses may cache
    for _ in range(5):
        dev.step()
    dev.begin(0)
    sink.n = 0
    sent = steps = 0
    t0 = time.ticks_ms()
    micropython.heap_lock()
    try:
        while time.ticks_diff(time.ticks_ms(), t0) < seconds * 1000:
            if steps % 50 == 0 and not rd.pending() and sent < 40:
                rd.i = rd.n = 0
                rd.feed(get_clock)
                sent += 1
            dev.is_night()
            dev.wall_s()
            dev.step()
            steps += 1
    finally:
        micropython.heap_unlock()
    big = []
    _bigs("dev.", dev, big)
    _bigs("session.", dev.session, big)
    _bigs("engine.", dev.engine, big)
    print("big", len(big), " ".join(big) or "-")
    print("sent", sent)
    print("night", int(dev.is_night()))
    print("wall_s", dev.wall_s())
    rp2_app.print_replies(sink)
    dev.stop()
    for _ in range(5):
        dev.step()
    buf = bytearray(32 * 8)
    n = dev.get_logs(0, buf)
    print("log", bytes(buf[: 32 * n]).hex())
