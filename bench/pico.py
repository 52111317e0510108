"""The Pico's budget on the real rp2 port: the firmware as `ontspan install` puts it on
an emulated Raspberry Pi Pico (MicroPython's own rp2 firmware on an emulated RP2040),
driven through the real CLI. Times are the Pico's own (its GPIO log), not this computer's.

The emulator is an optional instrument kept beside the checkout (`../shared/pico-emu`,
or the folder in $ONTSPAN_PICO_EMU); nothing of it is part of Ontspan. Without it this
suite ends with a one-line reason. It is copied into build/pico-emu (its setup.sh) and
started with its own TCP port ($ONTSPAN_PICO_EMU_PORT, else a free one) and state folder
(build/pico-emu-state); the suite stops it (by its pid, the instrument's stop.sh) when done.

- **heap in use after boot**: INFO's heap figure as the device measured it (after a
  collect, idle) once its greeting is over, before it read a byte from the host (asked
  with INFO_AS_KEPT, so not measured again): what a device at the bedside holds, with
  the modules as .mpy files (stock firmware) and in ROMFS (the same firmware with a
  ROMFS partition). Beside it, without a goal, the figure measured again once the
  host's link room is loaded.
- **heap of a patient's device**: the same after a reset with the library's table and a
  two-moment plan stored (plan.py loads with a plan, the table's buffer is allocated).
- **reset to app ready**: from the reset (the GPIO log's boot mark) to the first frame of
  the greeting on the LED ring (GP16).
- **longest LED frame gap**: adem-4-6 playing, quiet and then while the host runs
  `ontspan info`, `ontspan status` and `ontspan logs pull` back to back.
- **`ontspan flash` vs `mpremote cp`**: the library's table (the same bytes) to the same
  device (`cp -f`: a real copy), wall time of each command, median of 3.
- **cue timing**: adem-4-6's frames per second and breathing period (the ring's rises
  through half its range), quiet and under traffic alike: 62.5 fps, 10.00 s.
- **first `ontspan info` after a reset**: sent at once, answered or not.
- **heap after 100 sessions and 100 reflashes**: INFO's heap figure at idle after each
  run (bench/pico_rounds.py); goal: what it was before them (after one of each: the
  upload's code loads on first use), give or take 1 KB.
- **device time per command**: tests/mp/pico_handler_times.py run on the device with
  mpremote: the app's Dispatcher.handle (handler and reply framing) timed with the
  Pico's ticks_us while a session plays and idle, and the upload's BEGIN, CHUNK and
  COMMIT. Goal while cues play: at most 1 ms.

`--quick` (CI, when the instrument is there): install, info, flash, 10 s of a session and
the heap, stock firmware only.
"""

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from ontspan.device.live import open_link
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table

from .common import REPO, library, metric
from .pico_rounds import heap_after_rounds

EMU_ENV = "ONTSPAN_PICO_EMU"
PORT_ENV = "ONTSPAN_PICO_EMU_PORT"
BUILD = REPO / "build"
COPY = BUILD / "pico-emu"
STATE = BUILD / "pico-emu-state"
TTY = BUILD / "pico-emu-tty"
STOCK, ROMFS = "RPI_PICO.uf2", "RPI_PICO_ROMFS.uf2"
LED_PIN, MOTOR_PIN = 16, 15
BREATH = "adem-4-6"
BREATH_PERIOD_S = 10.0  # its 4 s in and 6 s out, as the preview and the sim play it

HEAP_GOAL = 48 * 1024  # .mpy files: the app's share of the rp2 port's ~190 KB heap
HEAP_ROMFS_GOAL = 24 * 1024  # code in ROMFS runs from flash: only the app's data in RAM
BOOT_GOAL_MS = 500
GAP_SLACK_MS = 1.0
FLASH_RATIO_GOAL = 1.0
REPEATS = 3
QUIET_S, TRAFFIC_S = 30, 30  # wall seconds of each phase (about a third of that in Pico time)
QUICK_SESSION_S = 10
HANDLER_TIMES = REPO / "tests" / "mp" / "pico_handler_times.py"
_TIMES_LINE = re.compile(r"^t (playing|idle) (.+?) (\d+) (\d+) (\d+)\r?$", re.M)
HANDLER_GOAL_US = 1000  # a command never holds the cue loop longer than this while cues play
ROUNDS = 100  # sessions, then reflashes, before the heap is measured again
ROUNDS_SLACK = 1024  # bytes: INFO's kept figures and the log's counters may move a little
IDLE_S = 8  # wall seconds after a boot: the app idles past INFO's 2 s re-measure
ANSWER_S = 180  # at most this long (wall) for the emulated firmware to answer after a reset


def instrument() -> Path | None:
    """The emulator's folder: $ONTSPAN_PICO_EMU, else the checkout's ../shared/pico-emu."""
    env = os.environ.get(EMU_ENV)
    home = Path(env) if env else REPO.parent / "shared" / "pico-emu"
    return home if (home / "setup.sh").is_file() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_installed() -> dict[str, str]:
    """The environment for the CLIs: Python's bytecode cache on, as an installed package
    has it (pip compiles mpremote's; a shell with PYTHONDONTWRITEBYTECODE would make
    `ontspan` compile every module on every run and the comparison unfair)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _tool(name: str) -> str:
    """A console script of this venv (ontspan, mpremote)."""
    p = Path(sys.executable).with_name(name)
    if not p.exists():
        raise SystemExit(f"bench pico: no {name} beside {sys.executable} (make setup)")
    return str(p)


class Emulator:
    """One emulated Pico of our own: its state folder, TCP port and pty link."""

    def __init__(self, home: Path):
        r = subprocess.run([str(home / "setup.sh"), str(COPY)], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:  # node and npm are the instrument's own needs
            raise SystemExit(f"bench pico: {home}/setup.sh failed: {r.stderr.strip()[-500:]}")
        STATE.mkdir(parents=True, exist_ok=True)
        self.port = int(os.environ.get(PORT_ENV) or _free_port())
        self.gpio = STATE / "gpio.log"
        self.tty = str(TTY)

    def _env(self, **more: str) -> dict[str, str]:
        return {**os.environ, "STATE_DIR": str(STATE), "LINK": str(TTY), "PORT": str(self.port), **more}

    def start(self, image: str) -> None:
        """A fresh chip (blank flash) running `image`, its LED and motor pins logged."""
        self.stop()
        self.gpio.unlink(missing_ok=True)
        env = self._env(IMAGE=str(COPY / "firmware" / image), FRESH="1",
                        GPIO_LOG=str(self.gpio), GPIO_PINS=f"{MOTOR_PIN},{LED_PIN}")
        r = subprocess.run([str(COPY / "start.sh")], env=env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise SystemExit(f"bench pico: the emulator did not start: {r.stderr.strip()[-500:]}")

    def stop(self) -> None:
        subprocess.run([str(COPY / "stop.sh")], env=self._env(), capture_output=True, timeout=60)

    def reset(self) -> None:
        subprocess.run([str(COPY / "reset.sh")], env=self._env(), check=True, capture_output=True, timeout=30)

    def now_ns(self) -> int:
        """About now in Pico time: the last pin transition logged (the ring changes every
        frame while a session plays; the log is written out every 100 ms)."""
        time.sleep(0.3)
        last = 0
        with open(self.gpio) as f:
            for ln in f:
                if ln[:1].isdigit():
                    last = int(ln.split()[0])
        return last

    def boots(self) -> list[int]:
        """Pico time of every start and reset (the log's boot marks)."""
        out = []
        for ln in self.gpio.read_text().splitlines():
            if ln.startswith("# boot") and "sim_ns=" in ln:
                out.append(int(ln.rsplit("sim_ns=", 1)[1]))
        return out

    def frames(self) -> list[tuple[float, int]]:
        """Every WS2812 frame on the ring pin: (Pico ns, sum of its bytes), via the instrument's decoder."""
        time.sleep(0.3)
        with tempfile.TemporaryDirectory(prefix="ontspan-bench-pico-") as tmp:
            out = Path(tmp) / "frames.json"
            subprocess.run([sys.executable, str(COPY / "runner" / "decode_gpio.py"), str(self.gpio),
                            "--ws2812", str(LED_PIN), "--json", str(out)],
                           check=True, capture_output=True, timeout=300)
            frames = json.loads(out.read_text())["ws2812"][str(LED_PIN)]
        return [(f["t_ns"], sum(sum(c) for c in f["rgb"])) for f in frames]

    # -- the real CLI against this device --
    def ontspan(self, *args: str, timeout: float = 600) -> tuple[float, subprocess.CompletedProcess]:
        t = time.monotonic()
        r = subprocess.run([_tool("ontspan"), *args, "--port", self.tty],
                           capture_output=True, text=True, timeout=timeout, env=_as_installed())
        return time.monotonic() - t, r

    def must(self, *args: str) -> tuple[float, str]:
        dt, r = self.ontspan(*args)
        if r.returncode != 0:
            raise SystemExit(f"bench pico: ontspan {' '.join(args)} failed: {(r.stderr or r.stdout).strip()[-500:]}")
        return dt, r.stdout

    def mpremote(self, *args: str) -> float:
        t = time.monotonic()
        self.mpremote_out(*args)
        return time.monotonic() - t

    def mpremote_out(self, *args: str) -> str:
        r = subprocess.run([_tool("mpremote"), "connect", self.tty, *args],
                           capture_output=True, timeout=600, env=_as_installed())
        out = r.stdout.decode("utf-8", "replace")
        if r.returncode != 0:
            err = r.stderr.decode("utf-8", "replace") or out
            raise SystemExit(f"bench pico: mpremote {' '.join(args)} failed: {err.strip()[-500:]}")
        return out

    def info(self) -> dict:
        return json.loads(self.must("info", "--json")[1])

    def wait_answer(self) -> None:
        end = time.monotonic() + ANSWER_S
        while time.monotonic() < end:
            if self.ontspan("status")[1].returncode == 0:
                return
            time.sleep(1)
        raise SystemExit(f"bench pico: the emulated firmware did not answer within {ANSWER_S} s")


def _install(emu: Emulator, image: str) -> tuple[float, str]:
    emu.start(image)
    dt, r = emu.ontspan("install")
    if r.returncode != 0 and "did not answer after a reset" in r.stderr:
        # installed; an emulator slowed by a loaded machine (0.05x) boots for longer
        # than install waits for a Pico: wait for it here, and say so
        print(f"bench pico: {r.stderr.strip().splitlines()[-1]}; waiting for the emulator",
              file=sys.stderr)
        emu.wait_answer()
    elif r.returncode != 0:
        raise SystemExit(f"bench pico: ontspan install failed: {r.stderr.strip()[-500:]}")
    said = next((ln for ln in (r.stdout + r.stderr).splitlines() if ln.startswith("device:")), "")
    return dt, said.removeprefix("device: ").split(":")[0]


def _kept_heap(emu: Emulator) -> int:
    """INFO's heap in use as the device measured it after its greeting, before it read the
    host's first byte (INFO_AS_KEPT: not measured again): what a device no host talks to
    holds. The link room loads with this request, after that measure."""
    with closing(open_link(emu.tty)) as lk:
        return lk.info(as_kept=True)["heap"]["used"]


def _boot(emu: Emulator) -> tuple[bool, float, int, int]:
    """Reset, INFO at once; then (first INFO answered, reset to greeting ms, heap in use
    after boot before the host, heap in use at idle with the link room loaded)."""
    emu.wait_answer()
    emu.reset()
    first = emu.ontspan("info", "--json")[1].returncode == 0
    if not first:
        emu.wait_answer()
    reset = emu.boots()[-1]
    lit = [t for t, level in emu.frames() if level and t > reset]
    if not lit:
        raise SystemExit("bench pico: no greeting frame on the ring after the reset")
    emu.reset()
    time.sleep(IDLE_S)  # a quiet boot: no byte from the host until the app idles
    heap = _kept_heap(emu)
    time.sleep(IDLE_S)
    hosted = emu.info()["device"]["heap"]["used"]  # measured again, the link room loaded
    return first, (lit[0] - reset) / 1e6, heap, hosted


PLAN = """[plan]
start = "{start}"
weeks = 4
trial_sessions = 4

[[moment]]
time = "13:00"
protocol = "pmr-kort"
days = "daily"

[[moment]]
time = "21:30"
protocol = "avondritueel"
days = "daily"
"""


def _patient_heap(emu: Emulator) -> int:
    """Heap in use at idle after a reset, with the library and a plan stored."""
    emu.wait_answer()
    emu.must("flash", str(PROTOCOLS_DIR))
    with tempfile.TemporaryDirectory(prefix="ontspan-bench-pico-") as tmp:
        plan = Path(tmp) / "plan.toml"
        plan.write_text(PLAN.format(start=time.strftime("%Y-%m-%d")), encoding="utf-8")
        emu.must("plan", "set", str(plan), "--db", str(Path(tmp) / "archive.sqlite3"))
    emu.reset()
    time.sleep(IDLE_S)
    used = _kept_heap(emu)
    emu.must("plan", "clear")  # the phases after this one play without reminders
    return used


def _flash_vs_cp(emu: Emulator, repeats: int) -> tuple[float, float]:
    """Median wall seconds of `ontspan flash protocols/` and of `mpremote cp -f` of its table
    (one run of each first, not counted: bytecode caches written, files in the page cache).
    `-f`: without it mpremote hashes the file on the device and, the same bytes being there
    since the first run, copies nothing."""
    emu.must("flash", str(PROTOCOLS_DIR))
    flash = [emu.must("flash", str(PROTOCOLS_DIR))[0] for _ in range(repeats)]
    with tempfile.TemporaryDirectory(prefix="ontspan-bench-pico-") as tmp:
        table = Path(tmp) / "bench-table.bin"
        table.write_bytes(compile_table(library()))
        cp = [emu.mpremote("cp", "-f", str(table), ":bench-table.bin") for _ in range(repeats + 1)][1:]
    emu.mpremote("rm", ":bench-table.bin")
    emu.reset()  # mpremote leaves the REPL: the app starts again
    emu.wait_answer()
    return statistics.median(flash), statistics.median(cp)


def _handler_times(emu: Emulator) -> list[tuple[str, str, int, int]]:
    """(mode, command, median us, max us) of tests/mp/pico_handler_times.py on the device."""
    out = emu.mpremote_out("run", str(HANDLER_TIMES))
    emu.reset()  # mpremote leaves the REPL: the app starts again
    emu.wait_answer()
    rows = [(m[1], m[2], int(m[4]), int(m[5])) for m in _TIMES_LINE.finditer(out)]
    if "done" not in out or not rows:
        raise SystemExit(f"bench pico: handler times failed: {out.strip()[-800:]}")
    return rows


def _breath_period(frames: list[tuple[float, int]], a: int, b: int) -> float:
    """Median seconds between the ring's rises through half its range between Pico times
    a and b (one per breath: the in-breath brightens it), 0.0 with fewer than two."""
    lit = [(t, v) for t, v in frames if a <= t <= b]
    if not lit:
        return 0.0
    lo, hi = min(v for _, v in lit), max(v for _, v in lit)
    mid = (lo + hi) / 2
    rises = [t for (_, v0), (t, v1) in zip(lit, lit[1:], strict=False) if v0 < mid <= v1]
    spans = [(y - x) / 1e9 for x, y in zip(rises, rises[1:], strict=False)]
    return statistics.median(spans) if spans else 0.0


def _gaps(frames: list[tuple[float, int]], a: int, b: int) -> tuple[int, float]:
    """(frames, longest gap in ms) of the frames between Pico times a and b."""
    ts = [t for t, _ in frames if a <= t <= b]
    gaps = [y - x for x, y in zip(ts, ts[1:], strict=False)]
    return len(ts), (max(gaps) / 1e6 if gaps else float("nan"))


def _session(emu: Emulator, quiet_s: float, traffic_s: float) -> dict:
    """adem-4-6 playing: frames and the longest gap quiet, then under host traffic (all
    three commands in turn, then each alone for a third of that time)."""
    emu.must("start", BREATH)
    t0 = emu.now_ns() + 500_000_000  # past the session's first edge
    time.sleep(quiet_s)
    marks = [emu.now_ns()]
    rounds = 0
    with tempfile.TemporaryDirectory(prefix="ontspan-bench-pico-") as tmp:
        commands = {"info": ["info"], "status": ["status"],
                    "logs pull": ["logs", "pull", "--db", str(Path(tmp) / "archive.sqlite")]}
        end = time.monotonic() + traffic_s
        while time.monotonic() < end:
            for c in commands.values():
                emu.must(*c)
            rounds += 1
        marks.append(emu.now_ns())
        for c in commands.values() if traffic_s else ():
            end = time.monotonic() + traffic_s / 3
            while time.monotonic() < end:
                emu.must(*c)
            marks.append(emu.now_ns())
    emu.must("stop")
    frames = emu.frames()
    nq, quiet = _gaps(frames, t0, marks[0])
    nt, busy = _gaps(frames, marks[0], marks[1])
    # between the window's first and last frames: its edges fall between frames, and a
    # short window (a loaded machine slows the emulator) would read a frame short
    qs = [t for t, _ in frames if t0 <= t <= marks[0]]
    fps = (len(qs) - 1) / ((qs[-1] - qs[0]) / 1e9) if len(qs) > 1 else 0.0
    alone = {name: _gaps(frames, a, b)[1] for name, a, b in zip(commands, marks[1:], marks[2:], strict=False)}
    return {"quiet_frames": nq, "quiet_ms": quiet, "busy_frames": nt, "busy_ms": busy,
            "period_s": _breath_period(frames, t0, marks[-1]),
            "rounds": rounds, "fps": fps, "alone": alone}


def run(quick: bool = False) -> list[dict]:
    home = instrument()
    if home is None:
        raise SystemExit(f"bench pico: no emulator at {REPO.parent / 'shared' / 'pico-emu'} "
                         f"(or ${EMU_ENV}): nothing to measure")
    emu = Emulator(home)
    out = []
    try:
        dt, said = _install(emu, STOCK)
        out.append(metric(f"`ontspan install`, stock firmware ({said or 'no device line'})",
                          round(dt, 1), "s wall"))
        if quick:
            emu.wait_answer()
            emu.reset()
            time.sleep(IDLE_S)
            heap = _kept_heap(emu)
            flash, _ = emu.must("flash", str(PROTOCOLS_DIR))
            s = _session(emu, QUICK_SESSION_S, 0)
            return out + [
                metric("heap in use after boot, before the host's first byte, .mpy files", heap, "bytes"),
                metric("`ontspan flash` of the library", round(flash, 2), "s wall"),
                metric(f"LED frame gap longest, {BREATH} ({s['quiet_frames']} frames)",
                       round(s["quiet_ms"], 2), "ms"),
            ]
        first, boot_ms, heap, hosted = _boot(emu)
        flash, cp = _flash_vs_cp(emu, REPEATS)
        handlers = _handler_times(emu)
        patient = _patient_heap(emu)
        s = _session(emu, QUIET_S, TRAFFIC_S)
        quiet, busy = round(s["quiet_ms"], 2), round(s["busy_ms"], 2)
        out += [
            metric("heap in use after boot, before the host's first byte, .mpy files (stock firmware)",
                   heap, "bytes", f"<= {HEAP_GOAL}", heap <= HEAP_GOAL),
            metric("heap in use after boot, a patient's device (library and a plan), before the "
                   "host's first byte, .mpy files", patient, "bytes", f"<= {HEAP_GOAL}", patient <= HEAP_GOAL),
            metric("heap in use at idle with the host's link room loaded, .mpy files", hosted, "bytes"),
            metric("reset to app ready (first greeting frame), .mpy files", round(boot_ms), "ms",
                   f"<= {BOOT_GOAL_MS}", boot_ms <= BOOT_GOAL_MS),
            metric("first `ontspan info` right after a reset answers", int(first), "1 = yes", "1", first),
            metric(f"LED frame gap longest, {BREATH} quiet ({s['quiet_frames']} frames)", quiet, "ms"),
            metric(f"LED frame gap longest, host polls info, status, logs pull ({s['rounds']} rounds, "
                   f"{s['busy_frames']} frames)", busy, "ms", f"<= quiet + {GAP_SLACK_MS:g}",
                   busy <= quiet + GAP_SLACK_MS),
            metric(f"LED frames per second, {BREATH} quiet", round(s["fps"], 1), "fps", "62.5",
                   round(s["fps"], 1) == 62.5),
            metric(f"breathing period, {BREATH} (median, ring's rises)", round(s["period_s"], 2), "s",
                   f"{BREATH_PERIOD_S:.2f}", round(s["period_s"], 2) == BREATH_PERIOD_S),
            *(metric(f"LED frame gap longest, host runs `ontspan {name}` alone", round(ms, 2), "ms",
                     f"<= quiet + {GAP_SLACK_MS:g}", ms <= quiet + GAP_SLACK_MS)
              for name, ms in s["alone"].items()),
            metric(f"`ontspan flash` of the library (median of {REPEATS})", round(flash, 2), "s wall"),
            metric(f"`mpremote cp` of the same table bytes (median of {REPEATS})", round(cp, 2), "s wall"),
            metric("`ontspan flash` / `mpremote cp`", round(flash / cp, 2), "x",
                   f"<= {FLASH_RATIO_GOAL:g}", flash / cp <= FLASH_RATIO_GOAL),
        ]
        before, sessions, reflashes = heap_after_rounds(emu.tty, ROUNDS, BREATH)
        out += [metric(f"heap in use at idle after {ROUNDS} {what} (before: {before})", used, "bytes",
                       f"<= {before + ROUNDS_SLACK}", used <= before + ROUNDS_SLACK)
                for what, used in (("sessions", sessions), ("reflashes", reflashes))]
        for mode, name, med, worst in handlers:
            label = f"device time {name}, {mode} (handler and reply framing; median, max {worst} us)"
            if mode == "playing":
                out.append(metric(label, med, "us", f"<= {HANDLER_GOAL_US}", med <= HANDLER_GOAL_US))
            else:
                out.append(metric(label, med, "us"))
        dt, said = _install(emu, ROMFS)
        out.append(metric(f"`ontspan install`, ROMFS firmware ({said or 'no device line'})",
                          round(dt, 1), "s wall"))
        first_r, boot_r, heap_r, hosted_r = _boot(emu)
        out += [
            metric("heap in use after boot, before the host's first byte, ROMFS", heap_r, "bytes",
                   f"<= {HEAP_ROMFS_GOAL}", heap_r <= HEAP_ROMFS_GOAL),
            metric("heap in use at idle with the host's link room loaded, ROMFS", hosted_r, "bytes"),
            metric("reset to app ready (first greeting frame), ROMFS", round(boot_r), "ms",
                   f"<= {BOOT_GOAL_MS}", boot_r <= BOOT_GOAL_MS),
            metric("first `ontspan info` right after a reset answers, ROMFS", int(first_r), "1 = yes",
                   "1", first_r),
        ]
        return out
    finally:
        emu.stop()
