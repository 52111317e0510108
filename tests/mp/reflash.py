# Reflash and play in a loop on the real app (sim board, littlefs image) with
# link frames fed from memory: BEGIN, CHUNKs, COMMIT of a changing table, then
# a short session (START, a refused BEGIN while it plays, STOP).
# run() prints "heap <i> <free>" after gc.collect() every `every` rounds and
# "done <rounds> <commits ok> <refused while busy> <sessions logged>".
import binascii
import gc
import os
import struct

import app
import fake_stream
import link


class Sink:
    """Swallows replies (the tests check effects, not bytes)."""

    def write(self, b, n=-1):
        return len(b) if n < 0 else n


_ids = [0]


def _frame(cmd, payload):
    _ids[0] = _ids[0] % 250 + 1  # consecutive frames never share an id (the resend cache)
    raw = struct.pack("<HBBB", len(payload), _ids[0], cmd, 0) + payload
    raw += struct.pack("<I", binascii.crc32(raw))
    enc = bytearray(len(raw) * 2 + 8)
    return bytes(enc[: link.encode(raw, len(raw), enc)])


def boot_linked(table_bytes, sink, reader_size=4096):
    """(device, reader): the app booted with table_bytes on /flash, its link on a fake
    reader (fed with frames) and `sink` (replies)."""
    try:
        os.mkdir("/flash/protocols")  # where storage.py keeps the table
    except OSError:
        pass
    with open("/flash/protocols/table.bin", "wb") as f:
        f.write(table_bytes)
    dev = app.boot()
    rd = fake_stream.Reader(size=reader_size)
    dev.link = link.Link(rd, sink, dev.clk)
    dev._link_room()  # the handlers, as the host's first byte loads them
    return dev, rd


def _upload(data):
    out = [_frame(0x10, struct.pack("<II", len(data), binascii.crc32(data)))]
    for off in range(0, len(data), 508):
        out.append(_frame(0x11, struct.pack("<I", off) + data[off : off + 508]))
    out.append(_frame(0x12, b""))
    return out


def _serve(dev, rd, frames):
    # while cues play the app takes a request only between frames (app._REQUEST_MS):
    # in a sim running 100x fast that can take a few more passes
    for f in frames:
        rd.feed(f)
        for _ in range(1000):
            dev.step()
            if not rd.pending():
                break


def run(paths, rounds, every=10, steps=20):
    tables = []
    for p in paths:
        gc.collect()  # the harness's own frames must not fragment the heap the app is given
        with open(p, "rb") as f:
            data = f.read()
        pid = data[8]  # the first protocol's id
        tables.append((_upload(data), binascii.crc32(data[:-4]) & 0xFFFFFFFF, len(data), pid))
    dev = app.boot()
    rd = fake_stream.Reader(size=2048)
    dev.link = link.Link(rd, Sink(), dev.clk)
    dev._link_room()
    ok = refused = 0
    logged0 = dev.log.last_seq
    for i in range(rounds):
        frames, crc, size, pid = tables[i % len(tables)]
        _serve(dev, rd, frames)
        t = dev.storage.table
        if t is not None and t.crc() == crc and dev.storage.size == size:
            ok += 1
        _serve(dev, rd, (_frame(0x30, bytes([pid])),))
        if dev.busy():
            nxt = tables[(i + 1) % len(tables)]
            _serve(dev, rd, nxt[0][:2])  # BEGIN and a CHUNK while it plays: refused
            for _ in range(steps):
                dev.step()
            if dev.busy() and dev.storage.table is t:
                refused += 1
        _serve(dev, rd, (_frame(0x31, b""),))
        if i % every == 0 or i == rounds - 1:
            gc.collect()
            print("heap", i, gc.mem_free())
    print("done", rounds, ok, refused, (dev.log.last_seq - logged0) // 2)
