# Device time of link commands on a Pico: bench/pico.py runs this with `mpremote run`
# on the installed firmware (the app stopped at the REPL, its table on flash). The
# real app's Dispatcher.handle (handler and reply framing; the reply goes to a sink,
# not over USB) is timed with ticks_us, CALLS times each, while a session plays (its
# cues, checked by their clock running: not a rating before them) and idle; the upload
# (BEGIN, CHUNK, COMMIT of the live table's bytes, and the INFO rebuild the loop runs
# after COMMIT's reply) idle only. Prints
#   t <mode> <command> <calls> <median us> <max us>
import struct
import time

import app

CALLS = 9
RATE_BEFORE = 2  # a protocol's rating setting: asked before it plays (session.begin)


def _sink(buf, n):
    return n


def _handle(dev, cmd, payload, rid):
    lk = dev.link
    lk._cmd = cmd  # what poll() sets for a request it returns
    req = (cmd, rid, memoryview(payload))  # made before the clock starts: poll() reuses its own
    t0 = time.ticks_us()
    dev.disp.handle(lk, req)
    return time.ticks_diff(time.ticks_us(), t0)


def _time(dev, mode, name, cmd, payload):
    ts = sorted(_handle(dev, cmd, payload, i + 1) for i in range(CALLS))
    print("t", mode, name, CALLS, ts[CALLS // 2], ts[-1])
    for _ in range(3):
        dev.step()


def run():
    try:
        f = open("/protocols/table.bin", "rb")
    except OSError:
        f = open("/table.bin", "rb")  # where firmware before the table's directory kept it
    with f:
        data = f.read()
    dev = app.boot()  # as the app is when its loop starts
    dev._link_room()  # as the host's first byte loads it: INFO and GET_CONFIG built
    dev.link._wr = _sink
    dev.link._flush = None
    for _ in range(5):
        dev.step()
    reads = [
        ("HELLO", 0x01, b"\x01\x01"),
        ("INFO", 0x02, b""),
        ("STATUS", 0x32, b""),
        ("GET_CLOCK", 0x21, b""),
        ("GET_CONFIG", 0x41, b""),
        ("GET_LOGS 15", 0x50, struct.pack("<IB", 0, 15)),
        ("GET_TABLE 508 B", 0x13, struct.pack("<IH", 0, 508)),
        ("GET_PLAN", 0x61, b""),
    ]
    # cues playing, not a rating before them: the first protocol that plays at once
    t = dev.storage.table
    first = [i for i in range(t.count()) if t.rating(i) != RATE_BEFORE]
    dev.begin(first[0] if first else 0)
    for _ in range(5):
        dev.step()
    t0 = dev.engine.elapsed_ms()
    time.sleep_ms(50)
    dev.step()
    if not dev.busy() or dev.engine.elapsed_ms() <= t0:  # the cues' clock runs: they play
        print("error no session playing")
        return
    for name, cmd, p in reads:
        _time(dev, "playing", name, cmd, p)
    dev.stop()
    for _ in range(5):
        dev.step()
    for name, cmd, p in reads:
        _time(dev, "idle", name, cmd, p)
    begin = struct.pack("<II", len(data), __import__("binascii").crc32(data))
    steps = [("PUT_TABLE_BEGIN", 0x10), ("PUT_TABLE_CHUNK", 0x11), ("PUT_TABLE_COMMIT", 0x12),
             ("PUT_TABLE_COMMIT: INFO rebuilt after the reply", 0)]
    ts = ([], [], [], [])
    for i in range(3):
        for k, (_, cmd) in enumerate(steps[:3]):
            p = begin if k == 0 else (struct.pack("<I", 0) + data if k == 1 else b"")
            ts[k].append(_handle(dev, cmd, p, 100 + 3 * i + k))
        after = dev.after_reply  # what the loop runs once COMMIT's reply is sent
        dev.after_reply = None
        t0 = time.ticks_us()
        if after:
            after(dev)
        ts[3].append(time.ticks_diff(time.ticks_us(), t0))
        dev.step()
    for k, (name, _) in enumerate(steps):
        v = sorted(ts[k])
        label = name + (" %d B" % len(data) if k == 1 else "")
        print("t", "idle", label, len(v), v[len(v) // 2], v[-1])
    print("done")


run()
