# Device time of each link command in the real app (sim board, littlefs image):
# a frame is fed and polled (not timed), then Dispatcher.handle is timed with
# ticks_us, handler and reply framing together, over many calls. Prints
#   t <mode> <command> <calls> <median us> <max us> <bytes allocated per call>
# mode "playing": a session plays (the busy guard refuses what writes flash);
# mode "idle": the commands that only do their work while idle.
import binascii
import gc
import struct
import time

import hal_sim

hal_sim.Board.mount_flash()

import app  # noqa: E402
import reflash  # noqa: E402

app._prepared = True  # mounted above, before the table was written


def _alloc(dev, rd, fr):
    """Bytes one handle() of frame fr allocates (gc off around it)."""
    rd.feed(fr)
    req = dev.link.poll(600)
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    dev.disp.handle(dev.link, req)
    b = gc.mem_alloc()
    gc.enable()
    return b - a


def _time(dev, rd, name, payload, cmd, calls, mode, after=None):
    times = []
    fr = None
    gc.collect()
    for i in range(calls):
        fr = reflash._frame(cmd, payload)  # a new id each call
        rd.feed(fr)
        req = dev.link.poll(600)
        if req is None:
            print("error", name, "no request")
            return
        t0 = time.ticks_us()
        dev.disp.handle(dev.link, req)
        times.append(time.ticks_diff(time.ticks_us(), t0))
        if after:
            after()
        dev.step()
    times.sort()
    alloc = _alloc(dev, rd, reflash._frame(cmd, payload))
    if after:
        after()
    print("t", mode, name, calls, times[len(times) // 2], times[-1], alloc)


def run(table_path, pid, calls=200):
    with open(table_path, "rb") as f:
        data = f.read()
    dev, rd = reflash.boot_linked(data, reflash.Sink())
    for _ in range(20):
        dev.step()
    clock = struct.pack("<Ih", 1767225600, 60)
    upload = (struct.pack("<II", len(data), binascii.crc32(data)), struct.pack("<I", 0) + data[:508])
    plan = b""

    def no_reboot():
        dev._reboot = -1

    common = [
        ("HELLO", 0x01, b"\x01\x00", None),
        ("INFO", 0x02, b"", None),
        ("ECHO 8 B", 0x03, bytes(range(8, 16)), None),
        ("ECHO 512 B", 0x03, bytes((i * 37 + 11) & 0xFF for i in range(512)), None),
        ("GET_TABLE 508 B", 0x13, struct.pack("<IH", 0, 508), None),
        ("SET_CLOCK", 0x20, clock, None),
        ("GET_CLOCK", 0x21, b"", None),
        ("STATUS", 0x32, b"", None),
        ("GET_CONFIG", 0x41, b"", None),
        ("GET_LOGS 15", 0x50, struct.pack("<IB", 0, 15), None),
        ("GET_PLAN", 0x61, b"", None),
        ("REBOOT", 0x70, b"\x00", no_reboot),
    ]
    refused = [
        ("START", 0x30, bytes([pid]), None),
        ("PUT_TABLE_BEGIN", 0x10, upload[0], None),
        ("PUT_TABLE_CHUNK", 0x11, upload[1], None),
        ("PUT_TABLE_COMMIT", 0x12, b"", None),
        ("SET_CONFIG", 0x40, b'{"day_cap":200}', None),
        ("CLEAR_LOGS", 0x51, struct.pack("<I", 0), None),
        ("PUT_PLAN", 0x60, plan, None),
        ("CLEAR_PLAN", 0x62, b"", None),
        ("FEEL", 0x34, b"\x01\x00\xff\x00", None),
    ]
    dev.begin(0)
    for _ in range(5):
        dev.step()
    if not dev.busy():
        print("error no session")
        return
    for name, cmd, p, after in common + refused:
        _time(dev, rd, name, p, cmd, calls, "playing", after)
    dev.stop()
    for _ in range(5):
        dev.step()
    for name, cmd, p, after in common:
        _time(dev, rd, name, p, cmd, calls, "idle", after)
    few = max(3, calls // 20)  # these write flash
    _time(dev, rd, "SET_CONFIG", b'{"day_cap":200}', 0x40, few, "idle")
    _time(dev, rd, "CLEAR_LOGS", struct.pack("<I", 0), 0x51, few, "idle")
    _time(dev, rd, "STOP", b"", 0x31, calls, "idle")
    _time(dev, rd, "PUT_TABLE_BEGIN", upload[0], 0x10, few, "idle")
    ts = []
    for _ in range(few):
        for k, (cmd, p) in enumerate(((0x10, upload[0]), (0x11, upload[1]), (0x12, b""))):
            rd.feed(reflash._frame(cmd, p))
            req = dev.link.poll(600)
            t0 = time.ticks_us()
            dev.disp.handle(dev.link, req)
            if k:
                ts.append((k, time.ticks_diff(time.ticks_us(), t0)))
    for k, name in ((1, "PUT_TABLE_CHUNK 508 B"), (2, "PUT_TABLE_COMMIT")):
        v = sorted(t for j, t in ts if j == k)
        print("t", "idle", name, len(v), v[len(v) // 2], v[-1], -1)
    print("done")
