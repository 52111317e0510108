"""The device preview kept running: one MicroPython per mode that has imported the
firmware's cue code once and plays table after table on request, so the editor's
timeline follows an edit without starting MicroPython and compiling the firmware
each time. It plays exactly what preview/device.py plays (the same PLAYER code);
the traces are read the same way."""

from __future__ import annotations

import atexit
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import OntspanError
from ..mpy import micropython_env
from ..paths import micropython_binary
from ..protocols.compiler import compile_table
from ..protocols.model import Protocol
from .device import PLAYER
from .trace import Session, parse

HEAPSIZE = "512K"
SERVE = """
import gc, sys
while True:
    line = sys.stdin.readline()
    if not line:
        break
    night, step, path = line.rstrip('\\n').split(' ', 2)
    if not session(night == '1', None, int(step) or None, path):
        w('D refused')
    gc.collect()
"""


class Player:
    """One MicroPython serving sessions; restarted once when it has gone away."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="ontspan-player-")

    def _start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [micropython_binary(), "-X", f"heapsize={HEAPSIZE}", "-c", PLAYER + SERVE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=micropython_env(), text=True, bufsize=1,
        )  # fmt: skip

    def play(self, table: bytes, *, night: bool, frame_ms: int | None) -> list[str]:
        with self._lock:
            path = Path(self._dir.name) / ("night.bin" if night else "day.bin")
            path.write_bytes(table)
            for _ in range(2):
                if self._proc is None or self._proc.poll() is not None:
                    self._proc = self._start()
                lines = self._ask(self._proc, f"{int(night)} {frame_ms or 0} {path}\n")
                if lines is not None:
                    return lines
                self._proc = None
        raise OntspanError("the preview's MicroPython stopped answering")

    @staticmethod
    def _ask(proc: subprocess.Popen[str], request: str) -> list[str] | None:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request)
            proc.stdin.flush()
        except OSError:
            return None
        lines: list[str] = []
        for line in proc.stdout:
            if line.startswith("D "):
                if line.startswith("D refused"):
                    raise OntspanError(f"the firmware refused the table: {lines[-1:]}")
                lines.append(line)
                return lines
            lines.append(line)
        return None  # it ended

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.stdin.close()  # type: ignore[union-attr]
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._dir.cleanup()


_players: dict[bool, Player] = {}
_made = threading.Lock()


def _player(night: bool) -> Player:
    with _made:
        if night not in _players:
            _players[night] = Player()
        return _players[night]


@atexit.register
def _close_all() -> None:
    for p in _players.values():
        p.close()


def played(proto: Protocol, *, frame_ms: int | None) -> tuple[Session, Session]:
    """Day and night of `proto` from the running players, both at once."""
    table = compile_table([proto])

    def one(night: bool) -> Session:
        sessions = parse(_player(night).play(table, night=night, frame_ms=frame_ms))
        if len(sessions) != 1:
            raise OntspanError(f"the firmware played {len(sessions)} sessions of {proto.name}, not 1")
        return sessions[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        day, night = pool.submit(one, False), pool.submit(one, True)
        return day.result(), night.result()
