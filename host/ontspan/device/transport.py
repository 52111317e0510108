"""The link's transport: framed requests to the device over USB serial (docs/link.md),
replies matched by id, resends on a timeout, and the text the device prints between
frames kept for error messages. client.py puts one method per command on top.

A round trip is the host waiting for replies. `request` is one request and its
reply; `pipeline` sends several requests at once and waits once for all replies.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any, Protocol, Self

from ..errors import DeviceLost, OntspanError
from ..shared import C
from .codec import (
    FRAME_ERRORS,
    MAX_PAYLOAD,
    Frame,
    FrameError,
    FrameParser,
    Status,
    encode_frame,
)
from .lossguard import LossGuard, port_errors
from .replies import Hello, LinkError, command_name

# timing: the device answers within a few of its 20 ms ticks; flash work takes longer
BAUDRATE = 115200  # ignored by USB CDC, needed by pyserial
REQUEST_TIMEOUT = 1.0
REQUEST_RETRIES = 2  # resends of the same request (the device answers a resend from its cache)
COMMIT_TIMEOUT = 5.0  # validate + rename on flash
READ_CHUNK = 4096  # bytes per serial read


class SerialLike(Protocol):
    """What Link needs of a pyserial `Serial` (tests pass fakes)."""

    timeout: float | None

    def write(self, data: bytes, /) -> int | None: ...
    def read(self, size: int = 1, /) -> bytes: ...
    def reset_input_buffer(self) -> None: ...
    def close(self) -> None: ...


def hexdump(data: bytes, width: int = 16) -> list[str]:
    """esptool-style lines: offset, hex, printable ASCII."""
    lines = []
    for i in range(0, len(data), width):
        chunk = data[i : i + width]
        hx = " ".join(f"{b:02x}" for b in chunk)
        asc = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"  {i:04x}  {hx:<{width * 3}} {asc}")
    return lines


def open_serial(port: str) -> Any:
    """Open a serial port; OntspanError with one line for the usual failures."""
    import serial  # late: keeps `ontspan compile` free of pyserial

    try:
        return serial.Serial(port, BAUDRATE, timeout=0.05, write_timeout=2.0, exclusive=True)
    except port_errors() as e:  # pyserial lets raw OSError/termios errors out of open()
        if getattr(e, "errno", None) == 5 or "Input/output" in str(e):
            raise DeviceLost(f"opening {port} failed: {e}") from e
        err = getattr(e, "errno", None)
        msg = str(e)
        if err == 2 or "No such file" in msg or "FileNotFoundError" in msg:
            raise OntspanError(f"no device at {port} (unplugged? see `ontspan ports`)") from e
        if err == 13 or "ermission" in msg:
            raise OntspanError(
                f"no permission to open {port} (Linux: add yourself to the dialout group)"
            ) from e
        if err == 16 or "busy" in msg.lower() or "lock" in msg.lower():
            raise OntspanError(
                f"{port} is busy: close mpremote, a terminal or another ontspan first"
            ) from e
        raise OntspanError(f"cannot open {port}: {msg}") from e


class Transport:
    """One device on one serial port: requests with retries, one round trip at a time."""

    def __init__(
        self,
        port_or_serial: str | SerialLike,
        *,
        trace: bool | IO[str] = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        if isinstance(port_or_serial, str):
            self.port = port_or_serial
            self.ser: SerialLike = open_serial(port_or_serial)
        else:
            self.port = getattr(port_or_serial, "port", None) or "device"
            self.ser = port_or_serial
        self.ser = LossGuard(self.ser)  # port failures become DeviceLost (lossguard.py)
        self._answered = False  # a reply came: silence from now on means the device was lost
        if trace is True or (trace is False and os.environ.get("ONTSPAN_TRACE")):
            self._trace: IO[str] | None = sys.stderr
        else:
            self._trace = None if isinstance(trace, bool) else trace
        self._clock = clock
        self._t0 = clock()
        self._parser = FrameParser()
        self._pending: list[Frame | FrameError | bytes] = []
        self._id = random.randint(1, 255)  # a new session never reuses the last one's id
        self.text = bytearray()  # recent REPL text seen between frames
        self.max_payload = MAX_PAYLOAD
        self.device: Hello | None = None
        self._device_id: str | None = None
        self.last_log_epoch = ""  # of the last GET_LOGS reply ("" before log format v2)

    # lifecycle

    def close(self) -> None:
        self.ser.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # tracing

    def _dump(self, what: str, data: bytes) -> None:
        if self._trace is None:
            return
        t = self._clock() - self._t0
        print(f"TRACE +{t:.3f} {what} {len(data)} bytes", file=self._trace)
        for line in hexdump(data):
            print(line, file=self._trace)

    # wire

    def _next_id(self) -> int:
        self._id = self._id % 255 + 1  # 1..255; 0 never used by the host
        return self._id

    def _read_events(self, deadline: float) -> list[Frame | FrameError | bytes]:
        if self._pending:
            ev, self._pending = self._pending, []
            return ev
        if self._clock() >= deadline:
            return []
        # what is waiting, or block for the first byte only: read(READ_CHUNK) alone
        # would wait out the port timeout (50 ms) on every reply shorter than that
        waiting = getattr(self.ser, "in_waiting", None)
        size = READ_CHUNK if waiting is None else (min(waiting, READ_CHUNK) or 1)
        data = self.ser.read(size)
        if not data:
            return []
        self._dump("Read", data)
        return self._parser.feed(data)

    def _note_text(self, text: bytes) -> None:
        self.text += text
        del self.text[:-2048]

    def request(
        self,
        cmd: int,
        payload: bytes = b"",
        timeout: float = REQUEST_TIMEOUT,
        retries: int = REQUEST_RETRIES,
    ) -> bytes:
        """Send one request, return the reply payload; LinkError on an error status,
        OntspanError if the device does not answer."""
        return self.pipeline([(cmd, payload)], timeout=timeout, retries=retries)[0]

    def pipeline(
        self,
        requests: Sequence[tuple[int, bytes]],
        timeout: float = REQUEST_TIMEOUT,
        retries: int = REQUEST_RETRIES,
    ) -> list[bytes]:
        """Send the requests (cmd, payload) back to back and wait once for all their
        replies: one round trip. The device runs them in order; the reply payloads
        come back in that order. LinkError for the first one answered with an error
        status. Only for requests that may run twice: a request whose reply was lost
        is sent again, and the device's resend cache holds its last reply alone."""
        ids = [self._next_id() for _ in requests]
        wires = {rid: encode_frame(rid, cmd, 0, p) for rid, (cmd, p) in zip(ids, requests, strict=True)}
        codes = {rid: cmd for rid, (cmd, _) in zip(ids, requests, strict=True)}
        got: dict[int, Frame] = {}
        for _attempt in range(retries + 1):
            for rid in ids:
                if rid not in got:
                    self._dump(f"Write {command_name(codes[rid])} id={rid}", wires[rid])
                    self.ser.write(wires[rid])
            deadline = self._clock() + timeout
            resend = False
            while len(got) < len(ids) and not resend and (self._clock() < deadline or self._pending):
                events = self._read_events(deadline)
                for i, ev in enumerate(events):
                    if isinstance(ev, bytes):
                        self._note_text(ev)
                    elif (
                        isinstance(ev, Frame) and ev.req_id in codes and ev.req_id not in got
                        and ev.code == codes[ev.req_id] | C.REPLY_BIT
                    ):
                        if ev.status in FRAME_ERRORS:
                            # the device saw a broken frame: ours, or line noise that
                            # carried our id; it ran nothing, so send ours again
                            self._pending = events[i + 1 :]
                            resend = True
                            break
                        self._answered = True
                        got[ev.req_id] = ev
                        if len(got) == len(ids):
                            self._pending = events[i + 1 :]
                            break
                    # broken frames and stale replies: ignore, the resend covers them
            if len(got) == len(ids):
                break
        missing = [rid for rid in ids if rid not in got]
        if missing:
            what = command_name(codes[missing[0]])
            if self._answered and b"Traceback" not in self.text:
                raise DeviceLost(f"no reply to {what} on {self.port}")
            raise OntspanError(self._silence(f"no reply to {what}"))
        for rid in ids:
            ev = got[rid]
            if ev.status != Status.OK:
                raise LinkError(codes[rid], ev.status, ev.payload)
        return [got[rid].payload for rid in ids]

    def _silence(self, what: str) -> str:
        """Why the device said nothing, from the text it printed instead."""
        text = bytes(self.text).decode("utf-8", "replace")
        if "Traceback" in text:
            last = [ln for ln in text.strip().splitlines() if ln.strip()][-1:]
            return f"{what} on {self.port}: the firmware crashed ({last[0].strip() if last else 'traceback'})"
        if ">>>" in text or "raw REPL" in text:
            return (
                f"{what} on {self.port}: the device is at the MicroPython REPL, not running "
                "Ontspan (press its reset or run `ontspan install`)"
            )
        return f"{what} on {self.port}: is the Ontspan firmware installed and running?"
