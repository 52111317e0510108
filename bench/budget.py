"""The Pico budget: what each link command costs the device, how many round trips
`ontspan flash` of the library takes, and whether link traffic delays LED frames.

- **device time per command**: the real app (sim board, littlefs image) under the
  MicroPython unix port, tests/mp/handler_times.py: `Dispatcher.handle` (handler and
  reply framing) timed with ticks_us over many calls, median, while a session plays
  (the busy guard refuses what writes flash) and idle. The goal is for a session:
  at the 150x a Pico is slower, at most a quarter of a 16 ms LED frame.
- **round trips per flash**: `ontspan flash protocols/` against a sim, counted on the
  serial port: a round trip is the host writing after it has read.
- **LED frame gap**: the real app (sim board at 1x) plays a fast breath (2 s in, 2 s out)
  under the unix port, tests/mp/frame_gaps.py: every `ring.show()` timed with ticks_us,
  quiet and then with requests (STATUS, INFO, GET_CLOCK, HELLO, GET_LOGS, GET_TABLE,
  GET_CONFIG, GET_PLAN) fed back to back. (The sim's `F` trace lines only mark frames
  that changed, so at a slow fade they would show the content, not the frame rate.)
"""

import os
import tempfile
from pathlib import Path

from ontspan.cli.main import main as cli_main
from ontspan.device import transport
from ontspan.mpy import run_code
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.files import check_paths
from ontspan.sim.device import SimDevice

from .common import PICO_FREE_HEAP, REPO, PortProxy, library, metric, sim_link

PICO_SLOWER = 150  # the Pico runs bytecode 100-150x slower than this port here
FRAME_MS = 16
SHARE = 4  # a command may take at most 1/SHARE of a frame while a session plays
GOAL_US = FRAME_MS * 1000 / SHARE / PICO_SLOWER  # unix-port microseconds
MAX_ROUND_TRIPS = 1  # SET_CLOCK, INFO and the whole upload in one pipeline
GAP_SLACK_MS = 2
CALLS = 300
SECONDS = 15  # of each phase, quiet and with traffic
QUICK = {"calls": 20, "seconds": 3}
MP_HELPERS = str(REPO / "tests" / "mp")

FAST_BREATH = """
id = 250
name = "bench-fast-breath"
title = "Bench"
description = "Fast breathing: the ring changes every frame."
language = "en"
version = 1
rating = "none"

[[block]]
type = "breath"
label = "fast"
in_s = 2
out_s = 2
minutes = 2

[[block]]
type = "rest"
label = "rest"
minutes = 1
"""


class CountingPort(PortProxy):
    """A serial port that counts round trips: the host writing after it has read."""

    def __init__(self, ser):
        super().__init__(ser)
        self.round_trips = 0
        self._read = True

    def write(self, data):
        if self._read:
            self.round_trips += 1
            self._read = False
        return self._ser.write(data)

    def read(self, size=1):
        self._read = True
        return self._ser.read(size)

    def reset_input_buffer(self):
        self._ser.reset_input_buffer()

    def close(self):
        self._ser.close()


def counted_ports(monkeypatch_setattr) -> list[CountingPort]:
    """Make every Link count its round trips; returns the ports as they are opened.
    monkeypatch_setattr(obj, name, value): pytest's, or a plain setattr."""
    ports: list[CountingPort] = []
    real = transport.open_serial

    def opening(port):
        p = CountingPort(real(port))
        ports.append(p)
        return p

    monkeypatch_setattr(transport, "open_serial", opening)
    return ports


def flash_round_trips(port: str) -> int:
    """Round trips of `ontspan flash protocols/` after its HELLO (the connect's)."""
    real = transport.open_serial
    try:
        ports = counted_ports(setattr)
        if cli_main(["flash", str(PROTOCOLS_DIR), "--port", port]) != 0:
            raise SystemExit("bench budget: ontspan flash failed")
    finally:
        transport.open_serial = real
    return sum(p.round_trips for p in ports) - 1


def _run_on_sim_board(tmp: Path, code: str):
    """`code` under MicroPython with the tests' helpers, the sim board and its own flash image."""
    state = tmp / "state"
    state.mkdir()
    return run_code(
        code,
        path=[MP_HELPERS],
        env={"ONTSPAN_SIM_STATE": str(state), "ONTSPAN_SIM_SPEED": "1", "ONTSPAN_SIM_TRACE": ""},
        heapsize=PICO_FREE_HEAP,
        timeout=600,
        stdin=b"",
    )


def _handler_times(calls: int) -> list[tuple[str, str, int, int, int]]:
    with tempfile.TemporaryDirectory(prefix="ontspan-bench-budget-") as tmp:
        path = Path(tmp) / "t.bin"
        protos = library()
        path.write_bytes(compile_table(protos))
        res = _run_on_sim_board(Path(tmp), f"import handler_times\nhandler_times.run({str(path)!r}, {protos[0].id}, {calls})")
    if not res.ok or "done" not in res.stdout:
        raise SystemExit(f"bench budget: handler timing failed:\n{res.output[-2000:]}")
    out = []
    for ln in res.stdout.splitlines():
        w = ln.split()
        if w and w[0] == "t":
            out.append((w[1], " ".join(w[2:-4]), int(w[-4]), int(w[-3]), int(w[-1])))
    return out


def _fast_breath(folder: Path):
    p = folder / "bench-fast-breath.toml"
    p.write_text(FAST_BREATH)
    protos, diags = check_paths([p])
    if not protos:
        raise SystemExit(f"bench budget: the bench protocol does not check: {diags}")
    return protos[0]


def _frame_gaps(seconds: int) -> dict[str, tuple[int, int, int, int]]:
    """{phase: (frames, longest gap us, p99 us, requests)} of the app playing FAST_BREATH."""
    with tempfile.TemporaryDirectory(prefix="ontspan-bench-budget-") as tmp:
        path = Path(tmp) / "t.bin"
        path.write_bytes(compile_table([_fast_breath(Path(tmp))]))
        res = _run_on_sim_board(Path(tmp), f"import frame_gaps\nframe_gaps.run({str(path)!r}, {seconds})")
    if not res.ok or "done True" not in res.stdout:
        raise SystemExit(f"bench budget: frame gaps failed:\n{res.output[-2000:]}")
    out = {}
    for ln in res.stdout.splitlines():
        w = ln.split()
        if w and w[0] == "gaps":
            out[w[1]] = (int(w[2]), int(w[3]), int(w[4]), int(w[5]))
    return out


def _flash_trips() -> int:
    tmp = tempfile.mkdtemp(prefix="ontspan-bench-budget-")
    sim = SimDevice(os.path.join(tmp, "sim"), speed=1).start()
    try:
        sim_link(sim).close()
        return flash_round_trips(sim.port)
    finally:
        sim.stop()


def run(quick: bool = False) -> list[dict]:
    size = QUICK if quick else {"calls": CALLS, "seconds": SECONDS}
    out = []
    for mode, name, n, med, alloc in _handler_times(size["calls"]):
        pico_ms = med * PICO_SLOWER / 1000
        label = f"device time {name}, {mode} (median of {n}; x{PICO_SLOWER}: {pico_ms:.1f} ms on a Pico)"
        if mode == "playing":
            out.append(metric(label, med, "us", f"<= {GOAL_US:.0f}", med <= GOAL_US))
        else:
            out.append(metric(label, med, "us"))
        if alloc >= 0:
            out.append(metric(f"heap bytes per request {name}, {mode}", alloc, "bytes"))
    trips = _flash_trips()
    out.append(metric("round trips of `ontspan flash protocols/` (after HELLO)", trips, "count",
                      f"<= {MAX_ROUND_TRIPS}", trips <= MAX_ROUND_TRIPS))
    g = _frame_gaps(size["seconds"])
    (nq, q, q99, _), (nb, b, b99, sent) = g["quiet"], g["traffic"]
    ms = lambda us: round(us / 1000, 2)  # noqa: E731
    out += [
        metric(f"LED frame gap longest, quiet ({nq} frames)", ms(q), "ms"),
        metric(f"LED frame gap longest, {sent} requests back to back ({nb} frames)", ms(b), "ms",
               f"<= quiet + {GAP_SLACK_MS}", b <= q + GAP_SLACK_MS * 1000),
        metric("LED frame gap p99, quiet", ms(q99), "ms"),
        metric("LED frame gap p99, with traffic", ms(b99), "ms"),
    ]
    return out
