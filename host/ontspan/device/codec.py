"""The link's frame codec (docs/link.md): bytes on the wire <-> frames.

The codec here and firmware/link.py must agree byte for byte;
tests/vectors/link/ pins both.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

from ..shared import C

LINK_MAJOR = C.LINK_MAJOR
LINK_MINOR = C.LINK_MINOR
MAX_PAYLOAD = C.MAX_PAYLOAD


class Cmd(IntEnum):
    """Command codes (contract CMD_*); a reply carries `code | REPLY_BIT`.
    tests/test_contract.py checks that every CMD_ has its member here."""

    HELLO = C.CMD_HELLO
    INFO = C.CMD_INFO
    ECHO = C.CMD_ECHO
    PUT_TABLE_BEGIN = C.CMD_PUT_TABLE_BEGIN
    PUT_TABLE_CHUNK = C.CMD_PUT_TABLE_CHUNK
    PUT_TABLE_COMMIT = C.CMD_PUT_TABLE_COMMIT
    GET_TABLE = C.CMD_GET_TABLE
    SET_CLOCK = C.CMD_SET_CLOCK
    GET_CLOCK = C.CMD_GET_CLOCK
    START = C.CMD_START
    STOP = C.CMD_STOP
    STATUS = C.CMD_STATUS
    SET_CONFIG = C.CMD_SET_CONFIG
    GET_CONFIG = C.CMD_GET_CONFIG
    GET_LOGS = C.CMD_GET_LOGS
    CLEAR_LOGS = C.CMD_CLEAR_LOGS
    REBOOT = C.CMD_REBOOT
    PUT_PLAN = C.CMD_PUT_PLAN
    GET_PLAN = C.CMD_GET_PLAN
    CLEAR_PLAN = C.CMD_CLEAR_PLAN
    FEEL = C.CMD_FEEL


class Status(IntEnum):
    """Reply status codes (contract OK and ERR_*)."""

    OK = C.OK
    ERR_CRC = C.ERR_CRC
    ERR_FRAME = C.ERR_FRAME
    ERR_LENGTH = C.ERR_LENGTH
    ERR_UNKNOWN_CMD = C.ERR_UNKNOWN_CMD
    ERR_PAYLOAD = C.ERR_PAYLOAD
    ERR_BUSY = C.ERR_BUSY
    ERR_STATE = C.ERR_STATE
    ERR_OFFSET = C.ERR_OFFSET
    ERR_TABLE_CRC = C.ERR_TABLE_CRC
    ERR_TABLE_REFUSED = C.ERR_TABLE_REFUSED
    ERR_TOO_LARGE = C.ERR_TOO_LARGE
    ERR_NO_PROTOCOL = C.ERR_NO_PROTOCOL
    ERR_VALUE = C.ERR_VALUE
    ERR_STORAGE = C.ERR_STORAGE
    ERR_INTERNAL = C.ERR_INTERNAL
    ERR_PLAN_REFUSED = C.ERR_PLAN_REFUSED


# frame-level errors: the device answers a broken frame with the id it carried
FRAME_ERRORS = (Status.ERR_CRC, Status.ERR_FRAME, Status.ERR_LENGTH)


# --- frame codec -------------------------------------------------------------

SOF = C.FRAME_SOF
EOF = C.FRAME_EOF
_RESERVED = C.FRAME_RESERVED  # bytes 0x00..0x07 never appear inside a frame
_RUN = C.FRAME_RUN  # literal lengths 0..26 per block
_NONE = C.FRAME_NO_MARK  # block kind: no marker byte follows
_CODE_MAX = _RESERVED + _NONE * _RUN + _RUN - 1  # 250
_FULL = _CODE_MAX
HEAD = C.FRAME_HEAD
TAIL = C.FRAME_TAIL


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
