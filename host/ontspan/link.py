"""Link client: framed requests to the device over USB serial (docs/link.md).

The frame codec here and firmware/link.py must agree byte for byte;
tests/vectors/link/ pins both. A `Link` speaks one request at a time and
waits for its reply; REPL text the device prints between frames is kept
for error messages and otherwise skipped.
"""

from __future__ import annotations

import json
import os
import random
import struct
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import IO, Any, Protocol

from .errors import DeviceLost, OntspanError

LINK_MAJOR = 1
LINK_MINOR = 0
MAX_PAYLOAD = 512


class Cmd(IntEnum):
    """Command codes; a reply carries `code | 0x80`. Same table as firmware/link.py."""

    HELLO = 0x01
    INFO = 0x02
    ECHO = 0x03
    PUT_TABLE_BEGIN = 0x10
    PUT_TABLE_CHUNK = 0x11
    PUT_TABLE_COMMIT = 0x12
    GET_TABLE = 0x13
    SET_CLOCK = 0x20
    GET_CLOCK = 0x21
    START = 0x30
    STOP = 0x31
    STATUS = 0x32
    SET_CONFIG = 0x40
    GET_CONFIG = 0x41
    GET_LOGS = 0x50  # reserved
    CLEAR_LOGS = 0x51  # reserved
    REBOOT = 0x70


class Status(IntEnum):
    """Reply status codes. Same table as firmware/link.py."""

    OK = 0x00
    ERR_CRC = 0x01
    ERR_FRAME = 0x02
    ERR_LENGTH = 0x03
    ERR_UNKNOWN_CMD = 0x04
    ERR_PAYLOAD = 0x05
    ERR_BUSY = 0x06
    ERR_STATE = 0x07
    ERR_OFFSET = 0x08
    ERR_TABLE_CRC = 0x09
    ERR_TABLE_REFUSED = 0x0A
    ERR_TOO_LARGE = 0x0B
    ERR_NO_PROTOCOL = 0x0C
    ERR_VALUE = 0x0D
    ERR_STORAGE = 0x0E
    ERR_INTERNAL = 0x0F


STATUS_TEXT = {
    Status.ERR_CRC: "the device saw a corrupted frame (CRC)",
    Status.ERR_FRAME: "the device saw a badly encoded frame",
    Status.ERR_LENGTH: "the device saw a frame of the wrong length",
    Status.ERR_UNKNOWN_CMD: "the device firmware does not know this command (update it)",
    Status.ERR_PAYLOAD: "the device refused the request's payload",
    Status.ERR_BUSY: "the device is busy (a session is playing?); try again later",
    Status.ERR_STATE: "request out of order",
    Status.ERR_OFFSET: "chunk offset out of order",
    Status.ERR_TABLE_CRC: "the table arrived damaged (CRC mismatch)",
    Status.ERR_TABLE_REFUSED: "the device refused the table",
    Status.ERR_TOO_LARGE: "the table is too large for the device",
    Status.ERR_NO_PROTOCOL: "no such protocol on the device (or no table loaded)",
    Status.ERR_VALUE: "the device refused a value",
    Status.ERR_STORAGE: "the device could not write its flash",
    Status.ERR_INTERNAL: "the device firmware failed on this request",
}

# frame-level errors: the device answers a broken frame with the id it carried
FRAME_ERRORS = (Status.ERR_CRC, Status.ERR_FRAME, Status.ERR_LENGTH)

# table decoder error codes (docs/table-format.md), for ERR_TABLE_REFUSED
TABLE_ERRORS = {
    1: "length",
    2: "magic",
    3: "format version",
    4: "CRC",
    5: "directory",
    6: "opcode",
    7: "structure",
    8: "field limit",
    9: "duration",
}

# timing: the device answers within a few of its 20 ms ticks; flash work takes longer
BAUDRATE = 115200  # ignored by USB CDC, needed by pyserial
HELLO_TIMEOUT = 0.5  # per attempt
HELLO_RETRIES = 4
REQUEST_TIMEOUT = 1.0
REQUEST_RETRIES = 2  # resends of the same request (the device answers a resend from its cache)
COMMIT_TIMEOUT = 5.0  # validate + rename on flash
LOG_RECORD = 32  # bytes per practice-log record
LOG_BATCH = (MAX_PAYLOAD - 4) // LOG_RECORD  # records per GET_LOGS reply (after the epoch)
READ_CHUNK = 4096  # bytes per serial read

# --- frame codec -------------------------------------------------------------

SOF = 0x00
EOF = 0x07
_RESERVED = 8  # bytes 0x00..0x07 never appear inside a frame
_RUN = 27  # literal lengths 0..26 per block
_NONE = 8  # block kind: no marker byte follows
_CODE_MAX = _RESERVED + _NONE * _RUN + _RUN - 1  # 250
_FULL = _CODE_MAX
HEAD = 5
TAIL = 4


@dataclass(frozen=True)
class Frame:
    req_id: int
    code: int
    status: int
    payload: bytes


class FrameError(ValueError):
    """Bytes between delimiters that are not a valid frame."""


def encode_body(raw: bytes) -> bytes:
    """The block encoding of raw frame bytes (no delimiters)."""
    out = bytearray([0])
    ci = 0
    run = 0
    for b in raw:
        if b < _RESERVED:
            out[ci] = _RESERVED + b * _RUN + run
            ci = len(out)
            out.append(0)
            run = 0
        else:
            out.append(b)
            run += 1
            if run == _RUN - 1:
                out[ci] = _FULL
                ci = len(out)
                out.append(0)
                run = 0
    out[ci] = _RESERVED + _NONE * _RUN + run
    return bytes(out)


def decode_body(body: bytes) -> bytes:
    """Raw frame bytes from an encoded body (no delimiters); FrameError if malformed."""
    out = bytearray()
    left = 0
    mark = _NONE
    for b in body:
        if b < _RESERVED or (left == 0 and b > _CODE_MAX):
            raise FrameError(f"byte 0x{b:02x} cannot appear here")
        if left == 0:
            mark, left = divmod(b - _RESERVED, _RUN)
            if left == 0 and mark < _NONE:
                out.append(mark)
        else:
            out.append(b)
            left -= 1
            if left == 0 and mark < _NONE:
                out.append(mark)
    if left:
        raise FrameError("frame ends inside a block")
    return bytes(out)


def encode_frame(req_id: int, code: int, status: int = 0, payload: bytes = b"") -> bytes:
    """A complete frame on the wire: 0x00, encoded header+payload+CRC, 0x07."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes > {MAX_PAYLOAD}")
    raw = struct.pack("<HBBB", len(payload), req_id, code, status) + bytes(payload)
    raw += struct.pack("<I", zlib.crc32(raw))
    return bytes([SOF]) + encode_body(raw) + bytes([EOF])


def parse_raw(raw: bytes) -> Frame:
    """Check length and CRC of decoded frame bytes."""
    if len(raw) < HEAD + TAIL:
        raise FrameError(f"frame of {len(raw)} bytes is too short")
    plen, req_id, code, status = struct.unpack_from("<HBBB", raw)
    (crc,) = struct.unpack_from("<I", raw, len(raw) - TAIL)
    if crc != zlib.crc32(raw[:-TAIL]):
        raise FrameError("CRC mismatch")
    if plen + HEAD + TAIL != len(raw):
        raise FrameError(f"length field {plen} does not match the frame")
    return Frame(req_id, code, status, bytes(raw[HEAD:-TAIL]))


def decode_frame(wire: bytes) -> Frame:
    """One delimited frame (as encode_frame makes it) back to a Frame."""
    if len(wire) < 2 or wire[0] != SOF or wire[-1] != EOF:
        raise FrameError("missing frame delimiters")
    return parse_raw(decode_body(wire[1:-1]))


class FrameParser:
    """Splits a byte stream into frames and the text between them.

    feed() returns events in order: Frame, FrameError (a broken frame) or
    bytes (text outside frames: REPL banners, prints, tracebacks)."""

    def __init__(self) -> None:
        self._body: bytearray | None = None
        self._text = bytearray()

    def feed(self, data: bytes) -> list[Frame | FrameError | bytes]:
        events: list[Frame | FrameError | bytes] = []
        for b in data:
            if b == SOF:
                if self._body is not None and self._body:
                    events.append(FrameError("frame cut short by a new frame"))
                self._flush_text(events)
                self._body = bytearray()
            elif self._body is None:
                self._text.append(b)
            elif b == EOF:
                body, self._body = bytes(self._body), None
                if not body:
                    continue
                try:
                    events.append(parse_raw(decode_body(body)))
                except FrameError as e:
                    events.append(e)
            elif b < _RESERVED:
                # a control byte inside a frame: the frame is dead, the byte is text
                self._body = None
                events.append(FrameError(f"byte 0x{b:02x} inside a frame"))
                self._text.append(b)
            else:
                self._body.append(b)
        self._flush_text(events)
        return events

    def _flush_text(self, events: list[Frame | FrameError | bytes]) -> None:
        if self._text:
            events.append(bytes(self._text))
            self._text.clear()


# --- serial client -------------------------------------------------------------


class SerialLike(Protocol):
    """What Link needs of a pyserial `Serial` (tests pass fakes)."""

    timeout: float | None

    def write(self, data: bytes, /) -> int | None: ...
    def read(self, size: int = 1, /) -> bytes: ...
    def reset_input_buffer(self) -> None: ...
    def close(self) -> None: ...


class LinkError(OntspanError):
    """The device answered with an error status."""

    def __init__(self, cmd: int, status: int, detail: bytes):
        self.cmd = cmd
        self.status = status
        self.detail = detail
        super().__init__(describe_error(cmd, status, detail))


def _name(enum: type[IntEnum], value: int) -> str:
    try:
        return enum(value).name
    except ValueError:
        return f"0x{value:02x}"


def describe_error(cmd: int, status: int, detail: bytes) -> str:
    """One line for an error reply, with the detail the status carries."""
    try:
        text = STATUS_TEXT[Status(status)]
    except (ValueError, KeyError):
        text = f"unknown error status 0x{status:02x}"
    if status == Status.ERR_TABLE_REFUSED and detail:
        text += f": table {TABLE_ERRORS.get(detail[0], f'error {detail[0]}')} check failed"
    elif status in (Status.ERR_OFFSET, Status.ERR_STATE) and len(detail) >= 4:
        text += f" (device expects offset {struct.unpack_from('<I', detail)[0]})"
    elif status == Status.ERR_TOO_LARGE and len(detail) >= 4:
        text += f" (at most {struct.unpack_from('<I', detail)[0]} bytes)"
    elif status in (Status.ERR_VALUE, Status.ERR_INTERNAL) and detail:
        text += ": " + detail.decode("utf-8", "replace")
    elif status == Status.ERR_STORAGE and detail:
        text += f" (errno {detail[0]})"
    return f"{_name(Cmd, cmd)}: {text}"


@dataclass(frozen=True)
class Hello:
    link_major: int
    link_minor: int
    table_version: int
    max_payload: int
    firmware: str


@dataclass(frozen=True)
class DeviceStatus:
    state: int  # 0 idle, 1 playing, 2 paused, 3 rating
    protocol: int  # 0: none
    flags: int  # bit0 table, bit1 clock set, bit2 night, bit3 config defaults
    elapsed_s: int
    remaining_s: int
    log_count: int

    STATES = ("idle", "playing", "paused", "rating")

    @property
    def state_name(self) -> str:
        return self.STATES[self.state] if self.state < len(self.STATES) else str(self.state)


@dataclass(frozen=True)
class DeviceClock:
    epoch: int  # Unix seconds, UTC
    tz_minutes: int
    is_set: bool


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
    except _LossGuard.errors() as e:  # pyserial lets raw OSError/termios errors out of open()
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


class _LossGuard:
    """The serial port with every way a vanished or stalled device fails (pyserial's
    SerialException and SerialTimeoutException, OSError such as EIO, termios
    errors) turned into one DeviceLost: the one place the link maps them."""

    def __init__(self, ser: SerialLike):
        self.inner = ser
        self.port = getattr(ser, "port", None)
        self._errors = self.errors()

    @staticmethod
    def errors() -> tuple[type[BaseException], ...]:
        try:
            import termios

            return (OSError, termios.error)
        except ImportError:
            return (OSError,)

    def _call(self, what: str, fn: Callable[..., Any], *a: Any) -> Any:
        try:
            return fn(*a)
        except self._errors as e:
            raise DeviceLost(f"{what} failed: {e}") from e

    @property
    def in_waiting(self) -> int | None:
        # pyserial's in_waiting is a property that itself fails when the port is gone
        n = self._call("read", lambda: getattr(self.inner, "in_waiting", None))
        return None if n is None else int(n)

    def write(self, data: bytes, /) -> int | None:
        return self._call("write", self.inner.write, data)  # type: ignore[no-any-return]

    def read(self, size: int = 1, /) -> bytes:
        return self._call("read", self.inner.read, size)  # type: ignore[no-any-return]

    def reset_input_buffer(self) -> None:
        self._call("reset", self.inner.reset_input_buffer)

    def close(self) -> None:
        try:
            self.inner.close()
        except self._errors:
            pass  # closing a port that is gone


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
        self.ser = _LossGuard(self.ser)
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
            self._dump(f"Write {_name(Cmd, cmd)} id={rid}", wire)
            self.ser.write(wire)
            deadline = self._clock() + timeout
            resend = False
            while not resend and (self._clock() < deadline or self._pending):
                events = self._read_events(deadline)
                for i, ev in enumerate(events):
                    if isinstance(ev, bytes):
                        self._note_text(ev)
                    elif isinstance(ev, Frame) and ev.req_id == rid and ev.code == cmd | 0x80:
                        self._pending = events[i + 1 :]
                        if ev.status in FRAME_ERRORS:
                            # the device saw a broken frame: ours, or line noise that
                            # carried our id; it ran nothing, so send ours again
                            resend = True
                            break
                        self._answered = True
                        if ev.status != Status.OK:
                            raise LinkError(cmd, ev.status, ev.payload)
                        return ev.payload
                    # broken frames and stale replies: ignore, the resend covers them
        if self._answered and "Traceback" not in self.text.decode("utf-8", "replace"):
            raise DeviceLost(f"no reply to {_name(Cmd, cmd)} on {self.port}")
        raise OntspanError(self._silence(f"no reply to {_name(Cmd, cmd)}"))

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
        """Greet the device and check its link version; OntspanError if incompatible."""
        self.ser.reset_input_buffer()
        try:
            p = self.request(
                Cmd.HELLO, bytes([LINK_MAJOR, LINK_MINOR]), timeout=HELLO_TIMEOUT, retries=retries
            )
        except LinkError as e:
            raise OntspanError(f"device on {self.port} refused HELLO: {e}") from e
        if len(p) < 6:
            raise OntspanError(f"device on {self.port} sent a short HELLO reply")
        major, minor, table_version, _, max_payload = struct.unpack_from("<BBBBH", p)
        h = Hello(major, minor, table_version, max_payload, p[6:].decode("ascii", "replace"))
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
        self.max_payload = min(max_payload, MAX_PAYLOAD)
        return h

    def info(self) -> dict[str, Any]:
        return dict(json.loads(self.request(Cmd.INFO)))

    def echo(self, data: bytes) -> bytes:
        return self.request(Cmd.ECHO, data)

    def put_table(self, data: bytes, progress: Callable[[int, int], None] | None = None) -> None:
        """Load a table: BEGIN, CHUNKs (each acknowledged), COMMIT. The device
        stages it and replaces the live table only after checking all of it."""
        total = len(data)
        p = self.request(Cmd.PUT_TABLE_BEGIN, struct.pack("<II", total, zlib.crc32(data)))
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
            p = self.request(Cmd.GET_TABLE, struct.pack("<IH", len(out), self.max_payload - 4))
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
        self.request(Cmd.SET_CLOCK, struct.pack("<Ih", epoch, tz_minutes))

    def get_clock(self) -> DeviceClock:
        epoch, tz, is_set = struct.unpack_from("<IhB", self.request(Cmd.GET_CLOCK))
        return DeviceClock(epoch, tz, bool(is_set))

    def start(self, protocol_id: int) -> None:
        self.request(Cmd.START, bytes([protocol_id]))

    def stop(self) -> None:
        self.request(Cmd.STOP)

    def status(self) -> DeviceStatus:
        state, pid, flags, _, elapsed, remaining, logs = struct.unpack_from(
            "<BBBBHHI", self.request(Cmd.STATUS)
        )
        return DeviceStatus(state, pid, flags, elapsed, remaining, logs)

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
        from .logformat import split_reply

        data = self.request(Cmd.GET_LOGS, struct.pack("<IB", from_seq, min(max_count, LOG_BATCH)))
        self.last_log_epoch, recs = split_reply(data)
        return recs

    def log_state(self) -> tuple[str, int, int]:
        """(log epoch, first seq, last seq) from INFO; epoch "" from firmware before v2."""
        logs = self.info().get("logs") or {}
        return str(logs.get("epoch") or ""), int(logs.get("first") or 0), int(logs.get("last") or 0)

    def clear_logs(self, upto_seq: int) -> None:
        self.request(Cmd.CLEAR_LOGS, struct.pack("<I", upto_seq))

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
    from .ports import find_port

    lk = Link(find_port(port))
    try:
        lk.hello()
        lk.set_clock()
    except BaseException:
        lk.close()
        raise
    return lk
