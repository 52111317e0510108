"""The link on the simulated device at 1x: payload throughput beside the raw throughput of
the same serial line and beside `mpremote cp`, framing overhead, INFO round trips, and a
flood of bad frames while a session plays."""

import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import serial
from ontspan.device.client import Link
from ontspan.device.codec import MAX_PAYLOAD, Cmd, encode_body, encode_frame
from ontspan.protocols.compiler import compile_table
from ontspan.shared import C
from ontspan.sim.device import SimDevice

from .common import PortProxy, by_name, edge_lines, library, metric, percentile, sim_link

PAYLOAD = 64 * 1024
STAGE = C.TABLE_MAX  # the largest table the device takes: 64 KiB = 8 staged uploads
CHUNK = MAX_PAYLOAD - 4  # PUT_TABLE_CHUNK data bytes (offset u32 first)
RUNS = 5  # repeats of each throughput measurement; the median is reported
RT_SAMPLES = 300
FLOOD_FRAMES = 10_000
FLOOD_SECONDS = 20  # the flood is spread over this long, so cue edges fall inside it
# --quick: the same steps, few repeats (a bench that still runs, not figures to read)
QUICK = {"runs": 1, "rt_samples": 20, "flood_frames": 900, "flood_seconds": 4}
FLOOD_PROTOCOL = "vertragen-8"  # the densest cue edges of the library (no rating first)
# the mpremote of the interpreter running the bench (its venv), wherever that lives
MPREMOTE = [sys.executable, "-m", "mpremote"]


class Counting(PortProxy):
    """A pyserial port that counts the bytes each way (what Link puts on the wire)."""

    def __init__(self, ser: serial.Serial):
        super().__init__(ser)
        self.tx = 0
        self.rx = 0

    def write(self, data: bytes) -> int | None:
        self.tx += len(data)
        return self._ser.write(data)

    def read(self, size: int = 1) -> bytes:
        data = self._ser.read(size)
        self.rx += len(data)
        return data

    def reset_input_buffer(self) -> None:
        self._ser.reset_input_buffer()

    def close(self) -> None:
        self._ser.close()


def _open(port: str) -> Counting:
    return Counting(serial.Serial(port, 115200, timeout=0.05, write_timeout=5.0, exclusive=True))


def _median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _stage_64k(lk: Link, data: bytes) -> None:
    """64 KiB as 8 uploads of 8 KiB: BEGIN and CHUNKs, received into the upload's
    buffer and acknowledged chunk by chunk; no COMMIT (random bytes are no table, and
    the next BEGIN drops the upload)."""
    for base in range(0, len(data), STAGE):
        part = data[base : base + STAGE]
        lk.request(Cmd.PUT_TABLE_BEGIN, struct.pack("<II", len(part), zlib.crc32(part)))
        for off in range(0, len(part), CHUNK):
            lk.request(Cmd.PUT_TABLE_CHUNK, struct.pack("<I", off) + part[off : off + CHUNK])


def _echo_64k(lk: Link, data: bytes) -> None:
    for off in range(0, len(data), MAX_PAYLOAD):
        if lk.echo(data[off : off + MAX_PAYLOAD]) != data[off : off + MAX_PAYLOAD]:
            raise SystemExit("bench link: ECHO returned other bytes")


def _round_trips(lk: Link, samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        t = time.perf_counter()
        lk.info()
        out.append((time.perf_counter() - t) * 1000)
    return out


# --- flood ------------------------------------------------------------------------


def _no_ctrl_c(data: bytes) -> bytes:
    # 0x03 is Ctrl-C: by design it interrupts the firmware into the REPL (docs/link.md)
    return data.replace(b"\x03", b"\x04")


def _flood_frames(rng: random.Random, count: int) -> list[bytes]:
    """`count` pieces, a third each: random bytes; well-encoded frames with a bad
    CRC; random bytes between frame delimiters."""
    out = []
    for i in range(count):
        kind = i % 3
        n = rng.randrange(0, 64)
        body = rng.randbytes(n)
        if kind == 0:
            out.append(_no_ctrl_c(rng.randbytes(n + 1)))
        elif kind == 1:
            raw = struct.pack("<HBBB", n, rng.randrange(1, 256), rng.randrange(256), 0) + body
            crc = zlib.crc32(raw) ^ (1 << rng.randrange(32))
            out.append(b"\x00" + encode_body(raw + struct.pack("<I", crc)) + b"\x07")
        else:
            out.append(b"\x00" + _no_ctrl_c(body).replace(b"\x00", b"\x08") + b"\x07")
    return out


def _flood(sim: SimDevice, port: str, count: int, seconds: float) -> dict:
    rng = random.Random(20260101)
    pieces = _flood_frames(rng, count)
    wire = sum(len(p) for p in pieces)
    ser = serial.Serial(port, 115200, timeout=0.05, write_timeout=10.0, exclusive=True)
    got = bytearray()
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            got.extend(ser.read(ser.in_waiting or 1))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    before = len(sim.trace_lines())
    t0 = time.monotonic()
    batch = 100
    for i in range(0, len(pieces), batch):
        ser.write(b"".join(pieces[i : i + batch]))
        due = t0 + seconds * (i + batch) / len(pieces)
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    ser.flush()
    took = time.monotonic() - t0
    time.sleep(0.5)
    stop.set()
    reader.join(timeout=2)
    ser.close()
    lines = sim.trace_lines()[before:]
    return {
        "wire": wire,
        "seconds": took,
        "edges": edge_lines(lines),
        "replies": got.count(b"\x07"),
    }


# --- the raw line, at the MicroPython REPL of the same simulated device ----------------

PUMP_BULK = """import sys,time
b=bytearray(4096);n=0;N=%d
s=sys.stdin.buffer
print('go')
while n<N:
    n+=s.readinto(b,min(4096,N-n))
print('got',n)
"""

# the way firmware/link.py reads: ask the poll object, read one byte into a 1-byte buffer
PUMP_BYTEWISE = """import sys,select
b=bytearray(1);n=0;N=%d
s=sys.stdin.buffer
p=select.poll();p.register(sys.stdin,select.POLLIN)
print('go')
while n<N:
    if p.poll(0):
        n+=s.readinto(b)
print('got',n)
"""


def _read_until(ser: serial.Serial, marker: bytes, timeout: float = 20.0) -> bytes:
    data = b""
    end = time.monotonic() + timeout
    while marker not in data and time.monotonic() < end:
        data += ser.read(ser.in_waiting or 1)
    if marker not in data:
        raise SystemExit(f"bench link: no {marker!r} from the REPL, got {data[-200:]!r}")
    return data


def _raw_pumps(port: str, data: bytes, runs: int) -> tuple[float, float]:
    """Ctrl-C to the REPL, raw REPL, then a pump that reads N bytes and says how many;
    time from the first byte written to the count received. Returns seconds
    (bulk readinto, byte by byte as the link does), medians of RUNS."""
    results = []
    with serial.Serial(port, 115200, timeout=0.05, write_timeout=10.0, exclusive=True) as ser:
        ser.write(b"\r\x03")
        _read_until(ser, b">>> ")
        ser.write(b"\r\x01")
        _read_until(ser, b"raw REPL; CTRL-B to exit\r\n>")
        for code in (PUMP_BULK, PUMP_BYTEWISE):
            times = []
            for _ in range(runs):
                ser.write((code % len(data)).encode() + b"\x04")
                _read_until(ser, b"go\n")
                t = time.perf_counter()
                ser.write(data)
                out = _read_until(ser, b"\x04>")
                times.append(time.perf_counter() - t)
                if f"got {len(data)}".encode() not in out:
                    raise SystemExit(f"bench link: raw pump failed: {out[-200:]!r}")
            results.append(statistics.median(times))
        ser.write(b"\x02")
        _read_until(ser, b">>> ")
    return results[0], results[1]


def _mpremote(port: str, path: str, runs: int) -> tuple[float, float]:
    """`mpremote connect PORT resume cp -f FILE :/flash/bench.bin` (-f: no skip of an unchanged file) and a no-op
    `... resume exec pass` (its fixed cost), median seconds of RUNS each."""
    cmds = (
        [*MPREMOTE, "connect", port, "resume", "cp", "-f", path, ":/flash/bench.bin"],
        [*MPREMOTE, "connect", port, "resume", "exec", "pass"],
    )
    out = []
    for cmd in cmds:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            times.append(time.perf_counter() - t)
            if res.returncode:
                raise SystemExit(
                    f"bench link: {' '.join(cmd[len(MPREMOTE) + 2 :])} failed: {res.stdout}{res.stderr}"
                )
        out.append(statistics.median(times))
    check = subprocess.run(
        [
            *MPREMOTE,
            "connect",
            port,
            "resume",
            "exec",
            "import os;print(os.stat('/flash/bench.bin')[6])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check.stdout.split()[-1:] != [str(PAYLOAD)]:
        raise SystemExit(f"bench link: mpremote cp left {check.stdout!r}")
    return out[0], out[1]


def _overhead(rng: random.Random) -> tuple[float, float]:
    """Framing overhead in % of payload for random payloads: full 512-byte frames
    (mean, worst of 2000), and 1..512-byte payloads weighted by bytes."""
    full = [
        len(encode_frame(1, Cmd.ECHO, 0, rng.randbytes(MAX_PAYLOAD))) - MAX_PAYLOAD
        for _ in range(2000)
    ]
    sizes = [rng.randrange(1, MAX_PAYLOAD + 1) for _ in range(2000)]
    wire = sum(len(encode_frame(1, Cmd.ECHO, 0, rng.randbytes(n))) for n in sizes)
    return max(full) * 100 / MAX_PAYLOAD, (wire - sum(sizes)) * 100 / sum(sizes)


def run(quick: bool = False) -> list[dict]:
    size = QUICK if quick else {
        "runs": RUNS, "rt_samples": RT_SAMPLES,
        "flood_frames": FLOOD_FRAMES, "flood_seconds": FLOOD_SECONDS,
    }
    runs = size["runs"]
    protos = library()
    table = compile_table(protos)
    rng = random.Random(1234)
    data = _no_ctrl_c(rng.randbytes(PAYLOAD))  # the raw pump reads a tty: no Ctrl-C in it
    tmp = tempfile.mkdtemp(prefix="ontspan-bench-")
    sim = SimDevice(os.path.join(tmp, "sim"), speed=1, trace=True).start()
    try:
        sim_link(sim).close()
        pid, boots = sim.proc.pid, sim.boots  # type: ignore[union-attr]
        ser = _open(sim.port)
        lk = Link(ser)  # type: ignore[arg-type]  # a counting pyserial port
        lk.hello()
        t_lib = _median_time(lambda: lk.put_table(table), runs)
        ser.tx = ser.rx = 0
        t_echo = _median_time(lambda: _echo_64k(lk, data), runs)
        echo_wire = (ser.tx + ser.rx) / runs
        ser.tx = ser.rx = 0
        t_stage = _median_time(lambda: _stage_64k(lk, data), runs)
        stage_wire = (ser.tx + ser.rx) / runs
        rt_idle = _round_trips(lk, size["rt_samples"])
        lk.start(by_name(protos, FLOOD_PROTOCOL).id)
        rt_play = _round_trips(lk, size["rt_samples"])
        lk.close()
        flood = _flood(sim, sim.port, size["flood_frames"], size["flood_seconds"])
        lk = sim_link(sim)
        alive = sim.proc.pid == pid and sim.boots == boots  # type: ignore[union-attr]
        st = lk.status()
        counters = lk.info()["link"]
        playing = st.state == C.STATE_PLAYING and st.protocol == by_name(protos, FLOOD_PROTOCOL).id
        lk.stop()
        lk.close()
        t_bulk, t_byte = _raw_pumps(sim.port, data, runs)
        path = os.path.join(tmp, "payload.bin")
        with open(path, "wb") as f:
            f.write(data)
        t_cp, t_noop = _mpremote(sim.port, path, runs)
    finally:
        sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    kb = 1024
    stage_bps = PAYLOAD / t_stage
    echo_bps = PAYLOAD / t_echo
    bulk_bps = PAYLOAD / t_bulk
    byte_bps = PAYLOAD / t_byte
    cp_bps = PAYLOAD / t_cp
    full_ovh, mixed_ovh = _overhead(rng)
    stage_ovh = (stage_wire - PAYLOAD) * 100 / PAYLOAD
    late = [e[4] for e in flood["edges"]]
    late_p99 = percentile([float(x) for x in late], 99) if late else float("nan")
    r1 = lambda x: round(x, 1)  # noqa: E731
    return [
        metric(f"upload whole library, put_table ({len(table)} B), time", r1(t_lib * 1000), "ms"),
        metric("upload whole library, put_table, throughput", r1(len(table) / t_lib / kb), "KiB/s"),
        metric(
            "64 KiB as PUT_TABLE BEGIN+CHUNKs (8 x 8 KiB, staged on flash), time",
            r1(t_stage * 1000),
            "ms",
        ),
        metric("64 KiB as PUT_TABLE CHUNKs, payload throughput", r1(stage_bps / kb), "KiB/s"),
        metric(
            "64 KiB as 128 ECHO frames of 512 B (payload counted once), time",
            r1(t_echo * 1000),
            "ms",
        ),
        metric("64 KiB as ECHO frames, payload throughput one way", r1(echo_bps / kb), "KiB/s"),
        metric("raw line: REPL pump, bulk readinto 4 KiB, 64 KiB", r1(bulk_bps / kb), "KiB/s"),
        metric(
            "raw line: REPL pump, poll + 1-byte readinto as the link reads",
            r1(byte_bps / kb),
            "KiB/s",
        ),
        metric(
            "PUT_TABLE payload / raw bulk line",
            r1(stage_bps * 100 / bulk_bps),
            "%",
            ">= 80",
            stage_bps >= 0.8 * bulk_bps,
        ),
        metric("PUT_TABLE payload / raw byte-by-byte read", r1(stage_bps * 100 / byte_bps), "%"),
        metric(
            "mpremote resume cp -f 64 KiB to /flash, time (whole command)", r1(t_cp * 1000), "ms"
        ),
        metric("mpremote resume exec pass, time (its fixed cost)", r1(t_noop * 1000), "ms"),
        metric("mpremote cp 64 KiB, throughput (whole command)", r1(cp_bps / kb), "KiB/s"),
        metric(
            "PUT_TABLE 64 KiB vs mpremote cp, speed ratio",
            round(t_cp / t_stage, 2),
            "x",
            "> 1",
            t_cp > t_stage,
        ),
        metric(
            "framing overhead, random 512-byte payloads, worst",
            round(full_ovh, 2),
            "%",
            "<= 10",
            full_ovh <= 10,
        ),
        metric(
            "framing overhead, random 1..512-byte payloads (by bytes)", round(mixed_ovh, 2), "%"
        ),
        metric(
            "wire bytes over payload, 64 KiB PUT_TABLE incl. acks",
            round(stage_ovh, 2),
            "%",
            "<= 10",
            stage_ovh <= 10,
        ),
        metric(
            "wire bytes over payload, 64 KiB ECHO both ways",
            round((echo_wire - 2 * PAYLOAD) * 100 / (2 * PAYLOAD), 2),
            "%",
        ),
        metric("INFO round trip p50, idle", round(percentile(rt_idle, 50), 2), "ms"),
        metric("INFO round trip p99, idle", round(percentile(rt_idle, 99), 2), "ms"),
        metric("INFO round trip p50, session playing", round(percentile(rt_play, 50), 2), "ms"),
        metric("INFO round trip p99, session playing", round(percentile(rt_play, 99), 2), "ms"),
        metric(
            f"flood: {size['flood_frames']} bad frames ({flood['wire']} B) over "
            f"{size['flood_seconds']} s during "
            f"{FLOOD_PROTOCOL}, crashes/restarts",
            0 if alive else 1,
            "count",
            "0",
            alive,
        ),
        metric(
            "flood: HELLO answers and the session still plays after it",
            int(playing),
            "bool",
            "1",
            playing,
        ),
        metric(
            "flood: device link counters bad + noise", counters["bad"] + counters["noise"], "frames"
        ),
        metric(
            f"flood: cue-edge lateness p99 during the flood ({len(late)} edges)",
            late_p99,
            "ms",
            "<= 2",
            bool(late) and late_p99 <= 2,
        ),
        metric("flood: cue-edge lateness max during the flood", max(late) if late else -1, "ms"),
    ]
