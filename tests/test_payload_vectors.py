"""STATUS, INFO and GET_LOGS reply payloads pinned by tests/vectors/link/payloads.json:
the firmware's handlers (firmware/service.py under MicroPython) must send exactly
these payloads for what the device knows, and the host must read them back as
the vectors say. The INFO keys are also held against the real firmware on a sim."""

import json

import pytest
from conftest import VECTORS, hello_or_none, wait_for
from ontspan.device import client, codec, names, replies
from ontspan.shared import C

PAYLOADS = VECTORS / "link" / "payloads.json"
V = json.loads(PAYLOADS.read_text())


def record(seq: int) -> bytes:
    return bytes((seq * 7 + k) & 0xFF for k in range(V["record_size"]))


# ---------------------------------------------------------------- firmware side

FIRMWARE = """
import binascii, json
import link, service

V = json.loads(open(%(path)r).read())
SIZE = V["record_size"]

class Lk:
    rx_frames = rx_bad = rx_noise = rx_dups = tx_frames = tx_short = 0
    def keep_tail(self, kept):
        pass

class Obj:
    pass

class Ids:
    def __init__(self, ids):
        self.ids = ids
    def proto_id(self, i):
        return self.ids[i]

class Dev:
    status_fields = None
    info = None
    table_version = 1
    clock_rtc = 0  # no clock module
    def busy(self):
        return False
    def know(self, d):
        # the live fields INFO reads from the device's rooms, as the document says
        self.info = d
        self.up_s = d["clock"]["uptime_s"]
        self.clock_set = d["clock"]["set"]
        self.cfg_ok = d["config_ok"]
        self.log = Obj()
        self.log.first_seq = d["logs"]["first"]
        self.log.last_seq = d["logs"]["last"]
        self.storage = Obj()
        self.storage.table = Ids(d["protocols"]) if d["table"]["size"] else None
        self.storage.selected = d["protocols"].index(d["selected"]) if d["table"]["size"] else 0
    def status(self):
        return tuple(self.status_fields)
    def measure(self):
        pass  # the vector's figures are the measures
    def info_dict(self):
        return dict(self.info)
    def log_epoch(self):
        return binascii.unhexlify(V["log_epoch"])
    def get_logs(self, from_seq, buf):
        # the logbook's read_into contract: records seq >= from_seq, oldest first, as fit
        n = 0
        for s in V["stored_seqs"]:
            if s >= from_seq and (n + 1) * SIZE <= len(buf):
                for k in range(SIZE):
                    buf[n * SIZE + k] = (s * 7 + k) & 0xFF
                n += 1
        return n

def answer(handler, dev, lk, p):
    out = bytearray(link.MAX_PAYLOAD)
    r = handler(dev, lk, memoryview(p), memoryview(out))
    return r >> 16, binascii.hexlify(out[: r & 0xFFFF]).decode()

dev = Dev()
lk = Lk()
for case in V["status"]:
    dev.status_fields = case["device"]
    print("status", *answer(service.status, dev, lk, b""))
for case in V["info"]:
    dev = Dev()  # a new device: INFO builds what it keeps for it
    dev.know(case["device"])
    c = case["link"]
    lk.rx_frames, lk.rx_bad, lk.rx_noise = c["rx"], c["bad"], c["noise"]
    lk.rx_dups, lk.tx_frames, lk.tx_short = c["dup"], c["tx"], c["short"]
    print("info", *answer(service.info, dev, lk, b""))
for case in V["get_logs"]:
    print("get_logs", *answer(service.get_logs, dev, lk, binascii.unhexlify(case["request"])))
"""


@pytest.fixture(scope="module")
def firmware_answers(mpy):
    out = mpy.check(FIRMWARE % {"path": str(PAYLOADS)})
    got: dict[str, list[tuple[int, str]]] = {"status": [], "info": [], "get_logs": []}
    for line in out.splitlines():
        kind, status, payload = (line.split(" ") + [""])[:3]
        got[kind].append((int(status), payload))
    return got


def test_firmware_status_payloads(firmware_answers):
    assert firmware_answers["status"] == [(C.OK, c["payload"]) for c in V["status"]]


def test_firmware_info_payloads(firmware_answers):
    assert firmware_answers["info"] == [(C.OK, c["payload"]) for c in V["info"]]


@pytest.mark.parametrize("case", V["info"], ids=lambda c: c["name"])
def test_host_decodes_info_payloads_as_the_document(case):
    assert replies.parse_info(bytes.fromhex(case["payload"])) == case["reply"]
    want = dict(case["device"], link=case["link"], measured_s=case["device"]["clock"]["uptime_s"])
    assert case["reply"] == want  # the reply is the device's facts and its link counters


def test_host_reads_link_1_0_json_info():
    doc = V["info"][0]["device"]
    assert replies.parse_info(json.dumps(doc).encode()) == doc


def test_firmware_get_logs_payloads(firmware_answers):
    assert firmware_answers["get_logs"] == [(C.OK, c["payload"]) for c in V["get_logs"]]
    for c in V["get_logs"]:  # the vectors themselves: the epoch, then whole records in seq order
        want = bytes.fromhex(V["log_epoch"]) + b"".join(record(s) for s in c["seqs"])
        assert bytes.fromhex(c["payload"]) == want


# ---------------------------------------------------------------- host side


class OneAnswer:
    """A serial port whose device answers every request with `payload` (OK)."""

    port = "vector"
    timeout = 0.01

    def __init__(self, payload: bytes):
        self.payload = payload
        self.requests: list[codec.Frame] = []
        self._out = b""

    def write(self, data):
        req = codec.decode_frame(data)
        self.requests.append(req)
        self._out += codec.encode_frame(req.req_id, req.code | C.REPLY_BIT, C.OK, self.payload)
        return len(data)

    def read(self, size=1):
        data, self._out = self._out[:size], self._out[size:]
        return data

    def reset_input_buffer(self):
        self._out = b""

    def close(self):
        pass


@pytest.mark.parametrize("case", V["status"], ids=lambda c: c["name"])
def test_host_reads_status(case):
    ser = OneAnswer(bytes.fromhex(case["payload"]))
    st = client.Link(ser).status()
    want = case["host"]
    assert st.state_name == want["state"]
    assert (st.protocol, st.elapsed_s, st.remaining_s, st.log_count) == (
        want["protocol"],
        want["elapsed_s"],
        want["remaining_s"],
        want["log_count"],
    )
    assert [n for bit, n in replies.FLAG_NAMES.items() if st.flags & bit] == want["flags"]
    assert ser.requests[0].code == codec.Cmd.STATUS and ser.requests[0].payload == b""


@pytest.mark.parametrize("case", V["info"], ids=lambda c: c["name"])
def test_host_reads_info(case):
    ser = OneAnswer(bytes.fromhex(case["payload"]))
    lk = client.Link(ser)
    info = lk.info()
    want = case["host"]
    assert names.device_id_of(info) == want["device_id"]
    assert names.table_crc_of(info) == want["table_crc"]
    assert names.protocol_ids(info) == want["protocols"]
    assert (info["boot"], info["clock"]["uptime_s"]) == (want["boot"], want["uptime_s"])
    assert lk.log_state()[0] == want["log_epoch"]


@pytest.mark.parametrize("case", V["get_logs"], ids=lambda c: c["name"])
def test_host_reads_get_logs(case):
    ser = OneAnswer(bytes.fromhex(case["payload"]))
    lk = client.Link(ser)
    got = lk.get_logs(case["from_seq"], case["want"])
    assert got == [record(s) for s in case["seqs"]]
    assert lk.last_log_epoch == V["log_epoch"]
    sent = ser.requests[0].payload
    if case["want"] <= client.LOG_BATCH:
        assert sent.hex() == case["request"]  # the host asks in the vector's bytes
    else:
        assert sent == bytes.fromhex(case["request"])[:4] + bytes([client.LOG_BATCH])


# ---------------------------------------------------------------- the real firmware


def _keys(doc, prefix=""):
    out = set()
    for k, v in doc.items():
        out.add(prefix + k)
        if isinstance(v, dict):
            out |= _keys(v, prefix + k + ".")
    return out


def test_real_firmware_info_has_the_vector_keys(make_sim):
    dev = make_sim("info")
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    with client.Link(dev.port) as lk:
        lk.hello()
        info = lk.info()
    assert _keys(info) == _keys(V["info"][0]["reply"])
    # heap after a collect: the app's modules are in use, and room is left
    assert info["heap"]["used"] > 20_000 and info["heap"]["free"] > 10_000, info["heap"]
