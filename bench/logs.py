"""Practice logs: pulling 10,000 records from the simulated device, wire bytes and flash
bytes per record, and boot time with a full log."""

import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import serial
from ontspan.archive.pull import pull
from ontspan.archive.store import Archive
from ontspan.device.client import LOG_BATCH, Link
from ontspan.logformat import decode
from ontspan.mpy import run_code
from ontspan.sim.device import HEAPSIZE, SimDevice

from .boot import CODE as BOOT_CODE
from .common import metric
from .link import Counting

RECORDS = 10_000
DEFAULT_FULL = 1664  # 13 segments of 128: the most the default capacity (1536) holds
RUNS = 7
QUICK = {"records": 300, "default_full": 64, "runs": 1}  # --quick: a bench that still runs

# The device's own code path: config on the flash image, then Logbook.append of
# START/END pairs as a session writes them (one littlefs commit per record).
PREFILL = """
import os
import hal_sim
hal_sim.Board.mount_flash()
import config, logbook, logrecord as lr
cfg = %r
if cfg:
    config.save('/flash', cfg)
st = os.statvfs('/flash')
free0 = st[0] * st[3]
lb = logbook.Logbook('/flash/log', config.load('/flash')[0]['log_capacity'])
lb.open()
rec = bytearray(32)
for i in range(%d // 2):
    lr.pack_into(rec, 0, lr.START, 0, lb.boot, 3600 + i, 1767225600 + i * 43200, 1 + i %% 3,
                 0x1234abcd, 900, 0, 0, 0, lr.OUT_NONE, 6, lr.NOT_RATED)
    lb.append(rec)
    lr.finish(rec, 0, 880, 3, 17, lr.OUT_COMPLETED, 3)
    lb.append(rec)
st = os.statvfs('/flash')
print('filled', lb.count, free0 - st[0] * st[3])
"""


def _prefill(state: Path, records: int, cfg: dict) -> tuple[int, int]:
    res = run_code(PREFILL % (cfg, records), env={"ONTSPAN_SIM_STATE": str(state)}, timeout=240)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("filled ")), None)
    if not res.ok or line is None:
        raise SystemExit(f"bench logs: prefill failed:\n{res.output}")
    _, count, used = line.split()
    return int(count), int(used)


def _boot_ms(state: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        res = run_code(BOOT_CODE, env={"ONTSPAN_SIM_STATE": str(state)}, heapsize=HEAPSIZE)
        if not res.ok:
            raise SystemExit(f"bench logs: boot failed:\n{res.output}")
        times.append(int(res.stdout.split()[-2]) / 1000)
    return statistics.median(times)


def _start_to_hello(sim: SimDevice) -> float:
    """Seconds from starting the firmware process to its first HELLO reply (the app
    answers once its boot animation, 1.2 s, has run)."""
    t = time.perf_counter()
    sim.start()
    lk = Link(sim.port)
    try:
        lk.hello(retries=40)
    finally:
        lk.close()
    return time.perf_counter() - t


def _pull_raw(port: str) -> tuple[float, int, int, list[bytes]]:
    ser = Counting(serial.Serial(port, 115200, timeout=0.05, write_timeout=5.0, exclusive=True))
    lk = Link(ser)  # type: ignore[arg-type]  # a counting pyserial port
    try:
        lk.hello()
        ser.tx = ser.rx = 0
        recs: list[bytes] = []
        t = time.perf_counter()
        nxt = 1
        while True:
            batch = lk.get_logs(nxt, LOG_BATCH)
            if not batch:
                break
            recs += batch
            nxt = decode(batch[-1]).seq + 1
        took = time.perf_counter() - t
        return took, ser.tx, ser.rx, recs
    finally:
        lk.close()


def _pull_archive(port: str, db: Path) -> tuple[float, int]:
    lk = Link(port)
    try:
        lk.hello()
        with Archive(db) as ar:
            t = time.perf_counter()
            res = pull(lk, ar)
            return time.perf_counter() - t, res.new
    finally:
        lk.close()


def run(quick: bool = False) -> list[dict]:
    size = QUICK if quick else {"records": RECORDS, "default_full": DEFAULT_FULL, "runs": RUNS}
    records, runs = size["records"], size["runs"]
    tmp = Path(tempfile.mkdtemp(prefix="ontspan-bench-"))
    try:
        big, full, empty = tmp / "big", tmp / "full", tmp / "empty"
        for d in (big, full, empty):
            d.mkdir()
        # one image per process: the big one alongside the two small ones
        with ThreadPoolExecutor(2) as pool:
            big_fill = pool.submit(_prefill, big, records, {"log_capacity": records})
            held_default, _ = _prefill(full, size["default_full"], {})
            _prefill(empty, 0, {})
            held, used = big_fill.result()
        boot_big = _boot_ms(big, runs)
        boot_full = _boot_ms(full, runs)
        boot_empty = _boot_ms(empty, runs)

        sim = SimDevice(empty, speed=1)
        try:
            hello_empty = _start_to_hello(sim)
        finally:
            sim.stop()
        sim = SimDevice(big, speed=1)
        try:
            hello_big = _start_to_hello(sim)
            took, tx, rx, recs = _pull_raw(sim.port)
            took_ar, stored = _pull_archive(sim.port, tmp / "archive.sqlite")
        finally:
            sim.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seqs = [decode(r).seq for r in recs]  # decode checks each record's CRC
    whole = seqs == list(range(1, records + 1))
    r1 = lambda x: round(x, 1)  # noqa: E731
    return [
        metric(
            f"records held after {records} appends (log_capacity {records})",
            held,
            "records",
            str(records),
            held == records,
        ),
        metric(
            f"pull {records} records, GET_LOGS x {LOG_BATCH}/frame, sim at 1x, time",
            r1(took * 1000),
            "ms",
        ),
        metric("pull throughput, GET_LOGS loop", round(len(recs) / took), "records/s"),
        metric("pulled records intact (CRC) and in seq order 1..N", int(whole), "bool", "1", whole),
        metric(
            "pull throughput, ontspan pull into a new SQLite archive",
            round(stored / took_ar),
            "records/s",
        ),
        metric(
            "wire bytes per record, pull (requests + replies)",
            r1((tx + rx) / len(recs)),
            "B/record",
        ),
        metric(
            "flash used per KiB: records per KiB of littlefs (32 B records)",
            r1(records / (used / 1024)),
            "records/KiB",
        ),
        metric(f"flash used by {records} records (littlefs blocks)", used, "bytes"),
        metric("boot to idle, empty log (app.boot, .py)", r1(boot_empty), "ms"),
        metric(
            f"boot to idle, log at default capacity holding {held_default} records",
            r1(boot_full),
            "ms",
        ),
        metric(f"boot to idle, {records}-record log", r1(boot_big), "ms"),
        metric(
            "process start to HELLO reply, empty log (incl. 1.2 s boot animation)",
            r1(hello_empty * 1000),
            "ms",
        ),
        metric(f"process start to HELLO reply, {records}-record log", r1(hello_big * 1000), "ms"),
    ]
