"""host/ontspan/device/: frame codec, golden vectors, and the client against the
firmware's own link server (firmware/link.py + service.py under MicroPython)."""

import io
import json
import os
import select
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ontspan.device import client, codec, ports, replies
from ontspan.errors import OntspanError
from ontspan.firmware.contract import FIRMWARE_VERSION
from ontspan.paths import FIRMWARE_DIR, micropython_binary

TESTS = Path(__file__).parent
LINK_VECTORS = TESTS / "vectors" / "link"
MANIFEST = json.loads((LINK_VECTORS / "vectors.json").read_text())


# --- codec ---------------------------------------------------------------------


@pytest.mark.parametrize("v", MANIFEST, ids=[v["file"] for v in MANIFEST])
def test_golden_vectors(v):
    wire = (LINK_VECTORS / v["file"]).read_bytes()
    payload = bytes.fromhex(v["payload"])
    assert codec.encode_frame(v["id"], v["code"], v["status"], payload) == wire
    assert codec.decode_frame(wire) == codec.Frame(v["id"], v["code"], v["status"], payload)


payloads = st.binary(max_size=codec.MAX_PAYLOAD)
small_bytes = st.binary(min_size=0, max_size=64).map(lambda b: bytes(x & 7 for x in b))


@settings(max_examples=300)
@given(
    rid=st.integers(0, 255),
    code=st.integers(0, 255),
    status=st.integers(0, 255),
    payload=st.one_of(payloads, small_bytes),
)
def test_round_trip_and_no_control_bytes(rid, code, status, payload):
    wire = codec.encode_frame(rid, code, status, payload)
    assert wire[0] == codec.SOF and wire[-1] == codec.EOF
    assert min(wire[1:-1]) >= 8  # never 0x03 (Ctrl-C) nor 0x01/0x02/0x04 inside a frame
    raw = len(payload) + codec.HEAD + codec.TAIL
    assert len(wire) <= raw + 2 + raw // 26 + 1  # bounded overhead whatever the data
    assert codec.decode_frame(wire) == codec.Frame(rid, code, status, payload)


def test_overhead_at_most_ten_percent_for_full_frames():
    worst = bytes(range(8, 256)) * 3  # no marker bytes at all: the most blocks
    for payload in (worst[:512], bytes(512), os.urandom(512)):
        assert len(codec.encode_frame(1, 3, 0, payload)) <= 512 * 1.10


text_bytes = st.binary(max_size=80).map(lambda b: bytes(x for x in b if x not in (0, 7)))


@settings(max_examples=150)
@given(
    items=st.lists(st.tuples(text_bytes, payloads), max_size=5),
    cut=st.integers(1, 64),
)
def test_parser_splits_frames_from_repl_text(items, cut):
    stream = b"".join(t + codec.encode_frame(i, 0x83, 0, p) for i, (t, p) in enumerate(items))
    parser = codec.FrameParser()
    events = []
    for i in range(0, len(stream), cut):
        events += parser.feed(stream[i : i + cut])
    frames = [e for e in events if isinstance(e, codec.Frame)]
    assert [(f.req_id, f.payload) for f in frames] == [(i, p) for i, (_, p) in enumerate(items)]
    text = b"".join(e for e in events if isinstance(e, bytes))
    # text bytes < 8 (e.g. raw-REPL 0x04) stay text; all of it is kept
    assert text == b"".join(t for t, _ in items)


def test_parser_resyncs_after_cut_and_corrupt_frames():
    good = codec.encode_frame(2, 0x81, 0, b"ok")
    bad = bytearray(codec.encode_frame(1, 0x81, 0, b"hello"))
    bad[4] ^= 0x10
    ev = codec.FrameParser().feed(good[:5] + b"Traceback\r\n" + bytes(bad) + good)
    kinds = [type(e).__name__ for e in ev]
    assert kinds[-1] == "Frame" and ev[-1].payload == b"ok"
    assert "FrameError" in kinds


# --- a serial port with the firmware on the other end ---------------------------


class MpSerial:
    """A serial port whose far end is tests/mp/link_serve.py under MicroPython."""

    port = "mp-pipe"

    def __init__(self):
        env = dict(os.environ, MICROPYPATH=f"{FIRMWARE_DIR}:{TESTS / 'mp'}")
        self.proc = subprocess.Popen(
            [micropython_binary(), str(TESTS / "mp" / "link_serve.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.timeout = 0.05
        self.drop_replies = 0
        self._held = b""

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        return len(data)

    def read(self, size=1):
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], self.timeout)[0]:
            return b""
        data = os.read(fd, size)
        if self.drop_replies:  # lose whole replies on the way, as a flaky cable would
            self._held += data
            if b"\x07" not in self._held:
                return b""
            _, _, rest = self._held.partition(b"\x07")
            self._held = b""
            self.drop_replies -= 1
            return rest
        return data

    def reset_input_buffer(self):
        fd = self.proc.stdout.fileno()
        while select.select([fd], [], [], 0.2)[0]:
            if not os.read(fd, 4096):
                break

    def close(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def dev_link():
    ser = MpSerial()
    lk = client.Link(ser)
    yield lk, ser
    lk.close()


def test_client_against_firmware(dev_link):
    lk, ser = dev_link
    h = lk.hello()
    assert (h.link_major, h.link_minor, h.firmware, h.max_payload) == (1, 1, FIRMWARE_VERSION, 512)
    assert lk.info()["firmware"] == FIRMWARE_VERSION
    blob = bytes(range(256)) * 2
    assert lk.echo(blob) == blob

    table = bytes((i * 13 + 1) & 0xFF for i in range(3000))
    seen = []
    lk.put_table(table, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 3000) and seen[-1] == (3000, 3000)
    assert lk.get_table() == table

    lk.set_clock(1767225600, 60)
    assert lk.get_clock() == replies.DeviceClock(1767225600, 60, True)
    lk.start(2)
    s = lk.status()
    assert (s.state_name, s.protocol, s.elapsed_s, s.log_count) == ("playing", 2, 65, 42)
    lk.stop()  # the server prints text before this reply: skipped
    assert b"stopping" in lk.text
    lk.set_config({"night_cap": 40})
    assert lk.get_config()["night_cap"] == 40
    lk.reboot()


def test_client_error_replies(dev_link):
    lk, _ = dev_link
    lk.hello()
    with pytest.raises(replies.LinkError) as e:
        lk.start(9)
    assert e.value.status == codec.Status.ERR_NO_PROTOCOL
    assert "START: no such protocol" in str(e.value)
    with pytest.raises(replies.LinkError, match="refused a value: colour"):
        lk.set_config({"colour": 1})
    with pytest.raises(replies.LinkError, match="refused the request's payload"):
        lk.request(codec.Cmd.GET_LOGS)
    with pytest.raises(replies.LinkError, match="does not know this command"):
        lk.request(0x7E)
    with pytest.raises(replies.LinkError, match="too large.*8192"):
        lk.put_table(bytes(9000))


def test_lost_reply_is_resent_from_the_cache(dev_link):
    lk, ser = dev_link
    lk.hello()
    lk.put_table(b"abc")
    ser.drop_replies = 1
    lk.start(1)  # first reply lost: the host resends, the device answers from its cache
    assert lk.info()["link"]["dup"] == 1


def test_an_upload_in_one_round_trip_falls_back_to_one_request_at_a_time(dev_link, monkeypatch):
    lk, ser = dev_link
    lk.hello()
    table = bytes((i * 7 + 3) & 0xFF for i in range(3000))  # BEGIN, 6 CHUNKs, COMMIT
    assert lk.put_table_after([(codec.Cmd.ECHO, b"hi")], table) == [b"hi"]
    assert lk.get_table() == table

    # the reply to the second CHUNK is lost: asked again after COMMIT it is out of step
    # (no upload in progress), so the whole upload goes again, one request at a time
    monkeypatch.setattr(client, "COMMIT_TIMEOUT", 0.3)  # the wait for the lost reply
    monkeypatch.setattr(client, "REQUEST_TIMEOUT", 0.1)
    read, ends = ser.read, [0]

    def lossy(size=1):
        out = bytearray()
        for byte in read(size):
            if ends[0] != 3:  # replies: ECHO, BEGIN, CHUNK 0, CHUNK 1 (lost), ...
                out.append(byte)
            ends[0] += byte == 0x07
        return bytes(out)

    monkeypatch.setattr(ser, "read", lossy)
    steps = []
    put_table = lk.put_table
    monkeypatch.setattr(lk, "put_table", lambda data, **kw: steps.append(data) or put_table(data, **kw))
    other = table[::-1]
    assert lk.put_table_after([(codec.Cmd.ECHO, b"hi")], other) == [b"hi"]
    assert ends[0] > 8 and steps == [other]
    assert lk.get_table() == other


def test_trace_dumps_wire_bytes():
    ser = MpSerial()
    out = io.StringIO()
    with client.Link(ser, trace=out) as lk:
        lk.hello()
    text = out.getvalue()
    assert "Write HELLO" in text and "Read" in text
    assert "  0000  00 " in text  # hex dump lines start with the frame's 0x00


# --- scripted ports for the failure paths ---------------------------------------


class ScriptSerial:
    """Answers each write with a canned byte string (or nothing)."""

    port = "script"

    def __init__(self, answer):
        self.answer = answer  # callable(request Frame) -> bytes
        self.timeout = 0.01
        self._out = b""
        self.writes = 0
        self.typed = []
        self.repl = lambda data: b""  # what a REPL prints for typed text

    def write(self, data):
        if data[:1] != b"\x00":  # typed at a REPL (the host probing what answers)
            self.typed.append(bytes(data))
            self._out += self.repl(bytes(data))
            return len(data)
        self.writes += 1
        self._out += self.answer(codec.decode_frame(data))
        return len(data)

    @property
    def in_waiting(self):
        return len(self._out)

    def read(self, size=1):
        data, self._out = self._out[:size], self._out[size:]
        return data

    def reset_input_buffer(self):
        self._out = b""

    def close(self):
        pass


def test_refuses_incompatible_link_version():
    def answer(req):
        p = bytes([2, 0, 1, 0]) + struct.pack("<H", 512) + b"2.0.0"
        return codec.encode_frame(req.req_id, req.code | 0x80, 0, p)

    with pytest.raises(OntspanError, match=r"link version 2\.0 .*update the host tools"):
        client.Link(ScriptSerial(answer)).hello()


def test_repl_banner_before_reply_is_skipped():
    def answer(req):
        hello = bytes([1, 3, 1, 0]) + struct.pack("<H", 256) + b"0.2.0"
        return (
            b"MicroPython v1.24\r\n>>> " + codec.encode_frame(req.req_id, 0x81, 0, hello) + b"\r\n"
        )

    lk = client.Link(ScriptSerial(answer))
    assert lk.hello().link_minor == 3 and lk.max_payload == 256


@pytest.mark.parametrize(
    "text, message, tries",
    [
        (b"", "is the Ontspan firmware installed", 3),  # silent, as while booting: every try
        # a REPL or a crash report is no booting device: no more waiting after the first
        (b"\r\n>>> ", r"is at the REPL; `ontspan install` or unplug and replug to start it", 1),
        (
            b"Traceback (most recent call last):\r\nImportError: no module named 'app'\r\n",
            "crashed",
            1,
        ),
    ],
)
def test_silent_device_gets_a_clear_message(text, message, tries, monkeypatch):
    monkeypatch.setattr(client, "HELLO_TIMEOUT", 0.05)
    ser = ScriptSerial(lambda req: text)
    with pytest.raises(OntspanError, match=message):
        client.Link(ser).hello(retries=2)
    assert ser.writes == tries


def test_hello_waits_out_a_booting_device(monkeypatch):
    """Silent for longer than a few tries (the app still importing), then answering:
    one hello() with the default wait gets the answer."""
    monkeypatch.setattr(client, "HELLO_TIMEOUT", 0.01)
    silent = client.HELLO_RETRIES - 2

    def answer(req):
        if ser.writes <= silent:
            return b""
        return codec.encode_frame(req.req_id, 0x81, 0, bytes([1, 1, 2, 0]) + struct.pack("<H", 512) + b"0.2.0")

    ser = ScriptSerial(answer)
    assert client.Link(ser).hello().firmware == "0.2.0"
    assert ser.writes == silent + 1
    assert client.HELLO_WAIT_S >= 4 * 1.13  # reset to the app reading the link: 1.13 s on the rp2 port


def test_repl_without_ontspan_is_named(monkeypatch):
    monkeypatch.setattr(client, "HELLO_TIMEOUT", 0.05)
    monkeypatch.setattr(client, "REPL_PROBE_S", 0.05)
    ser = ScriptSerial(lambda req: b"")
    ser.repl = lambda data: b"\r\n>>> " if data == b"\r" else data + b"\r\nOSP:none\r\n>>> "
    with pytest.raises(OntspanError, match="MicroPython without the Ontspan firmware; `ontspan install`"):
        client.Link(ser).hello(retries=1)
    assert ser.typed[0] == b"\r" and ser.typed[1] == client.REPL_PROBE


def test_older_firmware_is_named():
    def answer(req):
        return codec.encode_frame(req.req_id, 0x81, 0, bytes([1, 0, 1, 0]) + struct.pack("<H", 512) + b"0.0.9")

    assert replies.firmware_is_older(client.Link(ScriptSerial(answer)).hello())
    assert not replies.firmware_is_older(replies.Hello(1, 0, 1, 512, FIRMWARE_VERSION))


def test_corrupt_reply_is_retried():
    calls = []

    def answer(req):
        calls.append(req.req_id)
        f = bytearray(
            codec.encode_frame(req.req_id, req.code | 0x80, 0, b"\x01\x02\x03\x04\x05\x06")
        )
        if len(calls) == 1:
            f[3] ^= 0x20
        return bytes(f)

    lk = client.Link(ScriptSerial(answer))
    assert lk.request(codec.Cmd.ECHO, b"x", timeout=0.05) == b"\x01\x02\x03\x04\x05\x06"
    assert calls[0] == calls[1]  # the resend keeps its id


def test_open_missing_port():
    with pytest.raises(OntspanError, match="no device at /dev/ontspan-missing"):
        client.Link("/dev/ontspan-missing")


# --- ports -------------------------------------------------------------------------

PICO = ports.Port("/dev/ttyACM0", "Board in FS mode", 0x2E8A, 0x0005, "E660")
OTHER = ports.Port("/dev/ttyUSB0", "CP2102", 0x10C4, 0xEA60, None)


def test_find_port(monkeypatch):
    monkeypatch.delenv(ports.ENV_PORT, raising=False)
    assert ports.find_port("COM7", []) == "COM7"
    assert ports.find_port(None, [OTHER, PICO]) == "/dev/ttyACM0"
    with pytest.raises(OntspanError, match="no Ontspan device found"):
        ports.find_port(None, [OTHER])
    two = [PICO, ports.Port("/dev/ttyACM1", "", 0x2E8A, 0x0005, "X")]
    with pytest.raises(OntspanError, match="several Picos.*ttyACM0, /dev/ttyACM1"):
        ports.find_port(None, two)
    monkeypatch.setenv(ports.ENV_PORT, "/dev/ttyACM9")
    assert ports.find_port(None, two) == "/dev/ttyACM9"
    assert "2E8A:0005" in PICO.label()


def test_list_ports_keeps_usb_ports_picos_first(monkeypatch):
    from serial.tools import list_ports as lp
    from serial.tools.list_ports_common import ListPortInfo

    def info(device, vid=None, pid=None, serial_number=None, description="n/a"):
        p = ListPortInfo(device, skip_link_detection=True)
        p.vid, p.pid, p.serial_number, p.description = vid, pid, serial_number, description
        return p

    found = [
        info("/dev/ttyUSB0", 0x10C4, 0xEA60, description="CP2102"),
        info("/dev/ttyS0"),  # a built-in UART: never the device
        info("/dev/ttyACM1", 0x2E8A, 0x0005, "E661", "Board in FS mode"),
        info("/dev/ttyACM0", 0x2E8A, 0x0005, "E660", "Board in FS mode"),
    ]
    monkeypatch.setattr(lp, "comports", lambda: found)
    got = ports.list_ports()
    assert [p.device for p in got] == ["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyUSB0"]
    assert got[0] == ports.Port("/dev/ttyACM0", "Board in FS mode", 0x2E8A, 0x0005, "E660")
    assert [p.is_pico for p in got] == [True, True, False]
    monkeypatch.delenv(ports.ENV_PORT, raising=False)
    with pytest.raises(OntspanError, match="several Picos"):
        ports.find_port()  # the listing is what find_port uses
