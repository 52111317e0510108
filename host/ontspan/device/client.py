"""Link client: one method per device command (docs/link.md), on the transport
(transport.py: framing, ids, retries, round trips).

A `Link` speaks to one device; REPL text the device prints between frames is kept
for error messages and otherwise skipped.
"""

from __future__ import annotations

import json
import re
import struct
import time
import zlib
from collections.abc import Callable
from typing import Any

from ..errors import OntspanError
from ..logformat import EPOCH_SIZE as LOG_EPOCH_SIZE
from ..logformat import SIZE as LOG_SIZE
from ..logformat import split_reply
from ..shared import C
from .codec import LINK_MAJOR, LINK_MINOR, MAX_PAYLOAD, Cmd, Status
from .replies import (
    DeviceClock,
    DeviceStatus,
    Hello,
    LinkError,
    parse_clock,
    parse_hello,
    parse_info,
    parse_status,
)
from .transport import (  # noqa: F401  (the timing constants are documented here)
    BAUDRATE,
    COMMIT_TIMEOUT,
    READ_CHUNK,
    REQUEST_RETRIES,
    REQUEST_TIMEOUT,
    SerialLike,
    Transport,
    hexdump,
    open_serial,
)

HELLO_TIMEOUT = 0.5  # per attempt
# A device just reset or plugged in answers once its app runs, and reads nothing
# before: reset to the first greeting frame (when the link is first read) took
# 1.13 s of Pico time with the modules as .mpy files and 0.62 s from ROMFS on the
# rp2 port, 1.00 and 0.49 s now (bench/pico.py; a real Pico's flash cache only adds
# to it, and USB enumeration comes first). HELLO keeps asking for HELLO_WAIT_S,
# about eight times the slower boot, so the first command after a reset is answered;
# an emulated Pico (0.1-0.3x real time) needed 3.1-5.3 s there, more when loaded.
# Text instead of frames (a REPL's echo or prompt, a crash report) cuts the wait
# short; HELLO then names what answers.
HELLO_WAIT_S = 8.0
HELLO_RETRIES = round(HELLO_WAIT_S / HELLO_TIMEOUT) - 1
LOG_RECORD = LOG_SIZE  # bytes per practice-log record (docs/log-format.md)
LOG_BATCH = (MAX_PAYLOAD - LOG_EPOCH_SIZE) // LOG_RECORD  # records per GET_LOGS reply
REPL_PROBE_S = 1.0  # at most this long for a REPL to answer Enter (it stops at the prompt)
# typed at a REPL that ignored HELLO: prints OSP:<firmware version> or OSP:none
REPL_PROBE = (
    b"exec(\"try:\\n import contract as c;print('OSP:'+c.FIRMWARE_VERSION)"
    b"\\nexcept ImportError:print('OSP:none')\")\r"
)


class Link(Transport):
    """One device on one serial port, one method per command."""

    def hello(self, retries: int = HELLO_RETRIES) -> Hello:
        """Greet the device and check its link version; OntspanError if incompatible,
        or naming what answers instead (the REPL, MicroPython without Ontspan)."""
        self._keep_waiting_text()  # a REPL prompt printed before we came is a clue
        try:
            p = self._hello_until_answered(retries)
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

    def _hello_until_answered(self, retries: int) -> bytes:
        """HELLO's reply, asked up to 1 + retries times; stops early once text comes
        instead of frames: a booting device is silent, and what prints is a REPL (its
        echo, a prompt) or a crash report."""
        hello = bytes([LINK_MAJOR, LINK_MINOR])
        for _ in range(retries):
            try:
                return self.request(Cmd.HELLO, hello, timeout=HELLO_TIMEOUT, retries=0)
            except LinkError:
                raise
            except OntspanError:
                if self.text.strip():
                    raise
        return self.request(Cmd.HELLO, hello, timeout=HELLO_TIMEOUT, retries=0)

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
            for _ in range(2):  # a REPL still busy with the unanswered HELLOs may miss one
                self.ser.write(b"\r")
                if ">>>" in self._read_text(REPL_PROBE_S):
                    break
            else:
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

    def info(self, as_kept: bool = False) -> dict[str, Any]:
        """INFO; `as_kept`: the heap and flash figures as the device last measured them,
        however old (at boot: before the host's first byte), not measured again."""
        return parse_info(self.request(Cmd.INFO, bytes([C.INFO_AS_KEPT]) if as_kept else b""))

    def echo(self, data: bytes) -> bytes:
        return self.request(Cmd.ECHO, data)

    @staticmethod
    def begin_payload(data: bytes) -> bytes:
        """PUT_TABLE_BEGIN's request for table bytes `data`: length and CRC-32."""
        return struct.pack(C.PUT_TABLE_BEGIN_REQ, len(data), zlib.crc32(data))

    def put_table(
        self,
        data: bytes,
        progress: Callable[[int, int], None] | None = None,
        begun: bytes | None = None,
    ) -> None:
        """Load a table: BEGIN, CHUNKs (each acknowledged), COMMIT. The device
        stages it and replaces the live table only after checking all of it.
        `begun`: the reply to a BEGIN already sent (in a pipeline) for these bytes."""
        total = len(data)
        p = begun if begun is not None else self.request(Cmd.PUT_TABLE_BEGIN, self.begin_payload(data))
        chunk = struct.unpack_from("<H", p)[0] if len(p) >= 2 else self.max_payload - 4
        chunk = max(1, min(chunk, self.max_payload - 4))
        off = 0
        if progress:
            progress(0, total)
        while off < total:
            piece = data[off : off + chunk]
            try:
                ack = self.request(Cmd.PUT_TABLE_CHUNK, struct.pack(C.TABLE_U32, off) + piece)
            except LinkError as e:
                if e.status == Status.ERR_OFFSET and len(e.detail) >= 4:
                    off = struct.unpack_from(C.TABLE_U32, e.detail)[0]  # resume where it is
                    continue
                raise
            got = struct.unpack_from(C.TABLE_U32, ack)[0]
            if got != off + len(piece):
                raise OntspanError(f"device acknowledged offset {got}, expected {off + len(piece)}")
            off = got
            if progress:
                progress(off, total)
        self.request(Cmd.PUT_TABLE_COMMIT, timeout=COMMIT_TIMEOUT)

    def put_table_after(
        self,
        before: list[tuple[int, bytes]],
        data: bytes,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[bytes]:
        """The `before` requests (each safe to run twice), then a whole table upload
        (BEGIN, every CHUNK, COMMIT), in one round trip; returns the replies to
        `before`. The device runs them in order and answers each, so a refusal is the
        first error as ever (BUSY and TOO_LARGE at BEGIN, the CRC and the decoder at
        COMMIT). Should a chunk or COMMIT be answered out of step (OFFSET, STATE: a lost
        reply was asked again after the upload had moved on), the upload is done again
        one request at a time: BEGIN drops what the first try left, and a table it did
        commit is committed again, the same bytes."""
        chunk = max(1, self.max_payload - 4)  # the device's chunk (its BEGIN reply) for this payload
        total = len(data)
        upload: list[tuple[int, bytes]] = [(Cmd.PUT_TABLE_BEGIN, self.begin_payload(data))]
        upload += [
            (Cmd.PUT_TABLE_CHUNK, struct.pack(C.TABLE_U32, off) + data[off : off + chunk])
            for off in range(0, total, chunk)
        ]
        upload.append((Cmd.PUT_TABLE_COMMIT, b""))
        if progress:
            progress(0, total)
        try:
            replies = self.pipeline(
                before + upload, timeout=COMMIT_TIMEOUT + REQUEST_TIMEOUT * len(upload)
            )
        except LinkError as e:
            out_of_step = e.status in (Status.ERR_OFFSET, Status.ERR_STATE)
            if not out_of_step or e.cmd not in (Cmd.PUT_TABLE_CHUNK, Cmd.PUT_TABLE_COMMIT):
                raise
            replies = self.pipeline(before) if before else []
            self.put_table(data, progress=progress)
            return replies[: len(before)]
        if progress:
            progress(total, total)
        return replies[: len(before)]

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

    @staticmethod
    def clock_payload(epoch: int | None = None, tz_minutes: int | None = None) -> bytes:
        """SET_CLOCK's request: Unix seconds and UTC offset, by default now and here."""
        now = time.time()
        if epoch is None:
            epoch = int(now)
        if tz_minutes is None:
            tz_minutes = int(time.localtime(now).tm_gmtoff // 60)
        return struct.pack(C.SET_CLOCK_REQ, epoch, tz_minutes)

    def set_clock(self, epoch: int | None = None, tz_minutes: int | None = None) -> None:
        """Set the device clock; defaults to now and this computer's UTC offset."""
        self.request(Cmd.SET_CLOCK, self.clock_payload(epoch, tz_minutes))

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

    def get_logs_window(self, from_seq: int, max_count: int, depth: int) -> list[tuple[str, list[bytes]]]:
        """`depth` GET_LOGS in one round trip, from_seq, from_seq + n, ... (n = the
        records one reply holds): a log's seqs follow each other, so the replies are
        consecutive slices of it. Each as (log epoch, records)."""
        n = min(max_count, LOG_BATCH)
        payloads = self.pipeline(
            [(Cmd.GET_LOGS, struct.pack(C.GET_LOGS_REQ, from_seq + k * n, n)) for k in range(depth)])
        return [split_reply(p) for p in payloads]

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
    from .ports import find_port  # late: ports imports pyserial

    lk = Link(find_port(port))
    try:
        lk.hello()
        lk.set_clock()
    except BaseException:
        lk.close()
        raise
    return lk
