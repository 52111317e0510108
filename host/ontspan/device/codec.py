"""The link's frame codec (docs/link.md): bytes on the wire <-> frames.

The codec here and firmware/link.py must agree byte for byte;
tests/vectors/link/ pins both.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

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


# frame-level errors: the device answers a broken frame with the id it carried
FRAME_ERRORS = (Status.ERR_CRC, Status.ERR_FRAME, Status.ERR_LENGTH)


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
