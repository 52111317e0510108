# The busy guard on the real app (sim board, littlefs image), through its link:
# a BEGIN while idle, then every guarded command while the session plays, is
# paused, waits for a rating before and after. Prints "batch <mode> <replies hex>"
# per state and "kept <table crc> <config.json bytes> <plan present>" at the end.
import binascii
import os
import struct
import time

import hal
import reflash
import session as ss
from contract import FEEL_SAVE

_f = reflash._frame


class Sink:
    def __init__(self):
        self.data = bytearray()

    def write(self, b, n=-1):
        n = len(b) if n < 0 else n
        self.data.extend(b[:n])
        return n


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _steps(dev, n):
    for _ in range(n):
        dev.step()


def run(table_bytes, new_table, pids):
    hal.impl.Board.mount_flash()
    hal.prepare = lambda: None  # mounted: the app's boot must not mount it again
    sink = Sink()
    dev, rd = reflash.boot_linked(table_bytes, sink)
    _steps(dev, 5)
    cfg0 = _read("/flash/config.json")
    crc0 = dev.storage.table.crc()
    reflash._serve(dev, rd, [_f(0x10, struct.pack("<II", len(new_table), binascii.crc32(new_table)))])
    print("begin", sink.data.hex())  # accepted while idle
    guarded = [
        _f(0x11, struct.pack("<I", 0) + new_table[:508]),  # CHUNK of the BEGIN sent while idle
        _f(0x12, b""),  # COMMIT
        _f(0x10, struct.pack("<II", len(new_table), 0)),  # BEGIN
        _f(0x40, b'{"night_cap":30}'),  # SET_CONFIG
        _f(0x51, struct.pack("<I", 99)),  # CLEAR_LOGS
        _f(0x60, b"\x01\x02\x03\x04"),  # PUT_PLAN
        _f(0x62, b""),  # CLEAR_PLAN
        _f(0x34, bytes([1, 0, 90, 0])),  # FEEL, tried
        _f(0x34, bytes([1, 0, 90, FEEL_SAVE])),  # FEEL, saved
    ]
    play, before, after = pids

    def batch(name):
        _steps(dev, 3)
        sink.data = bytearray()
        m = dev.session.mode
        reflash._serve(dev, rd, guarded)
        print("batch", name, m, dev.session.mode, sink.data.hex())

    reflash._serve(dev, rd, [_f(0x30, bytes([play]))])
    batch("playing")
    dev.session.pause()
    batch("paused")
    reflash._serve(dev, rd, [_f(0x31, b""), _f(0x30, bytes([before]))])
    batch("rating_before")
    reflash._serve(dev, rd, [_f(0x31, b""), _f(0x30, bytes([after]))])
    t0 = time.ticks_ms()  # the 10 s protocol plays to its end (wall time: the sim's speed)
    while dev.session.mode != ss.RATING_AFTER and time.ticks_diff(time.ticks_ms(), t0) < 20000:
        dev.step()
    batch("rating_after")
    reflash._serve(dev, rd, [_f(0x31, b"")])
    _steps(dev, 5)
    same_cfg = _read("/flash/config.json") == cfg0
    plan = "plan.bin" in os.listdir("/flash")
    print("kept", int(dev.storage.table.crc() == crc0), int(same_cfg), int(plan), dev.cfg["night_cap"],
          dev.cfg.get("touch_strength", -1), dev.session.mode)
