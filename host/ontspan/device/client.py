"""Link client: framed requests to the device over USB serial (docs/link.md).

A `Link` speaks one request at a time and waits for its reply; REPL text the
device prints between frames is kept for error messages and otherwise skipped.
"""

from __future__ import annotations

import json
import os
import random
import re
import struct
import sys
import time
import zlib
from collections.abc import Callable
from typing import IO, Any, Protocol

from ..errors import OntspanError
from ..logformat import EPOCH_SIZE as LOG_EPOCH_SIZE
from ..logformat import SIZE as LOG_SIZE
from ..logformat import split_reply
from ..shared import C
from .codec import (
    FRAME_ERRORS,
    LINK_MAJOR,
    LINK_MINOR,
    MAX_PAYLOAD,
    Cmd,
    Frame,
    FrameError,
    FrameParser,
    Status,
    encode_frame,
)
from .replies import (
    DeviceClock,
    DeviceStatus,
    Hello,
    LinkError,
    command_name,
    parse_clock,
    parse_hello,
    parse_status,
)

# timing: the device answers within a few of its 20 ms ticks; flash work takes longer
BAUDRATE = 115200  # ignored by USB CDC, needed by pyserial
HELLO_TIMEOUT = 0.5  # per attempt
HELLO_RETRIES = 4
REQUEST_TIMEOUT = 1.0
REQUEST_RETRIES = 2  # resends of the same request (the device answers a resend from its cache)
COMMIT_TIMEOUT = 5.0  # validate + rename on flash
LOG_RECORD = LOG_SIZE  # bytes per practice-log record (docs/log-format.md)
LOG_BATCH = (MAX_PAYLOAD - LOG_EPOCH_SIZE) // LOG_RECORD  # records per GET_LOGS reply
READ_CHUNK = 4096  # bytes per serial read
REPL_PROBE_S = 1.0  # at most this long for a REPL to answer Enter (it stops at the prompt)
# typed at a REPL that ignored HELLO: prints OSP:<firmware version> or OSP:none
REPL_PROBE = (
    b"exec(\"try:\\n import contract as c;print('OSP:'+c.FIRMWARE_VERSION)"
    b"\\nexcept ImportError:print('OSP:none')\")\r"
)


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
    except serial.SerialException as e:
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


class Link:
    """One device on one serial port: stop-and-wait requests with retries."""

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

    def __enter__(self) -> Link:
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
        rid = self._next_id()
        wire = encode_frame(rid, cmd, 0, payload)
        for _attempt in range(retries + 1):
            self._dump(f"Write {command_name(cmd)} id={rid}", wire)
            self.ser.write(wire)
            deadline = self._clock() + timeout
            resend = False
            while not resend and (self._clock() < deadline or self._pending):
                events = self._read_events(deadline)
                for i, ev in enumerate(events):
                    if isinstance(ev, bytes):
                        self._note_text(ev)
                    elif (
                        isinstance(ev, Frame) and ev.req_id == rid and ev.code == cmd | C.REPLY_BIT
                    ):
                        self._pending = events[i + 1 :]
                        if ev.status in FRAME_ERRORS:
                            # the device saw a broken frame: ours, or line noise that
                            # carried our id; it ran nothing, so send ours again
                            resend = True
                            break
                        if ev.status != Status.OK:
                            raise LinkError(cmd, ev.status, ev.payload)
                        return ev.payload
                    # broken frames and stale replies: ignore, the resend covers them
        raise OntspanError(self._silence(f"no reply to {command_name(cmd)}"))

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

    # commands

    def hello(self, retries: int = HELLO_RETRIES) -> Hello:
        """Greet the device and check its link version; OntspanError if incompatible,
        or naming what answers instead (the REPL, MicroPython without Ontspan)."""
        self._keep_waiting_text()  # a REPL prompt printed before we came is a clue
        try:
            p = self.request(
                Cmd.HELLO, bytes([LINK_MAJOR, LINK_MINOR]), timeout=HELLO_TIMEOUT, retries=retries
            )
        except LinkError as e:
            raise OntspanError(f"device on {self.port} refused HELLO: {e}") from e
        except OntspanError as e:
            found = self._what_answers()
            if found:
                raise OntspanError(f"device on {self.port} {found}") from e
            raise
        if len(p) < struct.calcsize(C.HELLO_REPLY):
            raise OntspanError(f"device on {self.port} sent a short HELLO reply")
        h = parse_hello(p)
        major, minor = h.link_major, h.link_minor
        if major != LINK_MAJOR:
            raise OntspanError(
                f"device on {self.port} speaks link version {major}.{minor} (firmware "
                f"{h.firmware}); this ontspan speaks {LINK_MAJOR}.x: "
                + (
                    "update the firmware (`ontspan install`)"
                    if major < LINK_MAJOR
                    else "update the host tools"
                )
            )
        self.device = h
        self.max_payload = min(h.max_payload, MAX_PAYLOAD)
        return h

    def _keep_waiting_text(self) -> None:
        """Read what the device printed before we came (instead of discarding it)."""
        waiting = getattr(self.ser, "in_waiting", 0) or 0
        if waiting:
            for ev in self._parser.feed(self.ser.read(waiting)):
                if isinstance(ev, bytes):
                    self._note_text(ev)

    def _read_text(self, seconds: float, until: bytes = b">>> ") -> str:
        """Text the device prints within `seconds`, up to a prompt after the echo."""
        end = self._clock() + seconds
        got = bytearray()
        while self._clock() < end and not got.rstrip().endswith(until.rstrip()):
            got += self.ser.read(max(1, getattr(self.ser, "in_waiting", 0) or 0))
        self._note_text(bytes(got))
        return got.decode("utf-8", "replace")

    def _what_answers(self) -> str | None:
        """After HELLO went unanswered: a MicroPython REPL answers Enter with a
        prompt; one harmless import then tells whether Ontspan is on the device."""
        if ">>>" not in bytes(self.text).decode("utf-8", "replace"):
            self.ser.write(b"\r")
            if ">>>" not in self._read_text(REPL_PROBE_S):
                return None
        self.ser.write(REPL_PROBE)
        text = self._read_text(REPL_PROBE_S * 2)
        if "OSP:" not in text.replace("'OSP:'", ""):  # only the echo came: wait for the answer
            text += self._read_text(REPL_PROBE_S)
        m = re.search(r"(?m)^OSP:(\S+)", text)
        if m and m.group(1) == "none":
            return (
                "runs MicroPython without the Ontspan firmware; `ontspan install` puts it on"
            )
        return (
            "is at the REPL; `ontspan install` or unplug and replug to start it"
        )

    def info(self) -> dict[str, Any]:
        return dict(json.loads(self.request(Cmd.INFO)))

    def echo(self, data: bytes) -> bytes:
        return self.request(Cmd.ECHO, data)

    def put_table(self, data: bytes, progress: Callable[[int, int], None] | None = None) -> None:
        """Load a table: BEGIN, CHUNKs (each acknowledged), COMMIT. The device
        stages it and replaces the live table only after checking all of it."""
        total = len(data)
        p = self.request(
            Cmd.PUT_TABLE_BEGIN, struct.pack(C.PUT_TABLE_BEGIN_REQ, total, zlib.crc32(data))
        )
        chunk = struct.unpack_from("<H", p)[0] if len(p) >= 2 else self.max_payload - 4
        chunk = max(1, min(chunk, self.max_payload - 4))
        off = 0
        if progress:
            progress(0, total)
        while off < total:
            piece = data[off : off + chunk]
            try:
                ack = self.request(Cmd.PUT_TABLE_CHUNK, struct.pack("<I", off) + piece)
            except LinkError as e:
                if e.status == Status.ERR_OFFSET and len(e.detail) >= 4:
                    off = struct.unpack_from("<I", e.detail)[0]  # resume where it is
                    continue
                raise
            got = struct.unpack_from("<I", ack)[0]
            if got != off + len(piece):
                raise OntspanError(f"device acknowledged offset {got}, expected {off + len(piece)}")
            off = got
            if progress:
                progress(off, total)
        self.request(Cmd.PUT_TABLE_COMMIT, timeout=COMMIT_TIMEOUT)

    def get_table(self, progress: Callable[[int, int], None] | None = None) -> bytes:
        """Read the live table back in chunks."""
        out = bytearray()
        total = None
        while total is None or len(out) < total:
            p = self.request(
                Cmd.GET_TABLE, struct.pack(C.GET_TABLE_REQ, len(out), self.max_payload - 4)
            )
            total = struct.unpack_from("<I", p)[0]
            if len(p) == 4 and len(out) < total:
                raise OntspanError("device sent an empty table chunk")
            out += p[4:]
            if progress:
                progress(len(out), total)
        return bytes(out[:total])

    def set_clock(self, epoch: int | None = None, tz_minutes: int | None = None) -> None:
        """Set the device clock; defaults to now and this computer's UTC offset."""
        now = time.time()
        if epoch is None:
            epoch = int(now)
        if tz_minutes is None:
            tz_minutes = int(time.localtime(now).tm_gmtoff // 60)
        self.request(Cmd.SET_CLOCK, struct.pack(C.SET_CLOCK_REQ, epoch, tz_minutes))

    def get_clock(self) -> DeviceClock:
        return parse_clock(self.request(Cmd.GET_CLOCK))

    def start(self, protocol_id: int) -> None:
        self.request(Cmd.START, bytes([protocol_id]))

    def stop(self) -> None:
        self.request(Cmd.STOP)

    def status(self) -> DeviceStatus:
        return parse_status(self.request(Cmd.STATUS))

    def set_config(self, values: dict[str, Any]) -> None:
        data = json.dumps(values, separators=(",", ":")).encode()
        self.request(Cmd.SET_CONFIG, data)

    def get_config(self) -> dict[str, Any]:
        return dict(json.loads(self.request(Cmd.GET_CONFIG)))

    # -- practice logs (docs/log-format.md; GET_LOGS / CLEAR_LOGS in docs/link.md)
    def device_id(self) -> str:
        if self._device_id is None:
            self._device_id = str(self.info()["device_id"])
        return self._device_id

    def get_logs(self, from_seq: int, max_count: int) -> list[bytes]:
        """Records with seq >= from_seq, oldest first, at most max_count (one frame's
        worth); the reply's log epoch is kept in `last_log_epoch`."""
        data = self.request(
            Cmd.GET_LOGS, struct.pack(C.GET_LOGS_REQ, from_seq, min(max_count, LOG_BATCH))
        )
        self.last_log_epoch, recs = split_reply(data)
        return recs

    def log_state(self) -> tuple[str, int, int]:
        """(log epoch, first seq, last seq) from INFO; epoch "" from firmware before v2."""
        logs = self.info().get("logs") or {}
        return str(logs.get("epoch") or ""), int(logs.get("first") or 0), int(logs.get("last") or 0)

    def clear_logs(self, upto_seq: int) -> None:
        self.request(Cmd.CLEAR_LOGS, struct.pack(C.CLEAR_LOGS_REQ, upto_seq))

    def clock_anchor(self) -> tuple[int, int, int] | None:
        """(boot, uptime_s, wall_s) now, when the device clock is set: dates earlier
        sessions of this boot that were logged before the clock was set."""
        info = self.info()
        clock = self.get_clock()
        if not clock.is_set:
            return None
        return int(info["boot"]), int(info["clock"]["uptime_s"]), clock.epoch

    def reboot(self, bootloader: bool = False) -> None:
        """Reboot the device (into BOOTSEL with bootloader=True); the link is gone after."""
        self.request(Cmd.REBOOT, bytes([1 if bootloader else 0]), retries=0)


def open_log_link(port: str | None) -> Link:
    """A checked link for `logs pull`: found port, HELLO, and the clock set to now."""
    from ..ports import find_port  # late: ports imports pyserial

    lk = Link(find_port(port))
    try:
        lk.hello()
        lk.set_clock()
    except BaseException:
        lk.close()
        raise
    return lk
