"""firmware/logrecord.py (and logfields.py, its fields read back) under MicroPython: golden vectors, checks, no allocation."""

import json
from pathlib import Path

VECTORS = Path(__file__).parent.parent / "vectors" / "log"

GOLDEN = """
import json
import logfields as lf
import logrecord as lr
VEC = %VEC%
exp = json.load(open(VEC + "/expected.json"))
order = ("rtype", "version", "protocol", "outcome", "seq", "boot", "before", "after",
         "uptime_s", "wall_s", "table_crc", "planned_s", "actual_s", "blocks", "groups", "moment")
for name in sorted(exp):
    e = exp[name]
    data = open(VEC + "/" + name + ".bin", "rb").read()
    assert lr.check(data, 0), name
    got = lf.unpack(data, 0)
    assert list(got) == [e[k] for k in order], (name, got)
    assert lr.seq(data, 0) == e["seq"] and lr.boot(data, 0) == e["boot"]
    assert lf.before(data, 0) == e["before"] and lf.after(data, 0) == e["after"]
    assert lf.moment(data, 0) == e["moment"] and lf.version(data, 0) == e["version"]
    if e["version"] == 1:
        print(name, "ok")  # the firmware reads version 1 but writes only version 2
        continue
    # encoding the same values gives the same bytes, at an offset too
    buf = bytearray(40)
    lr.pack_into(buf, 8, e["rtype"], e["seq"], e["boot"], e["uptime_s"], e["wall_s"],
                 e["protocol"], e["table_crc"], e["planned_s"], e["actual_s"], e["blocks"],
                 e["groups"], e["outcome"], e["before"], e["after"], e["moment"])
    assert bytes(buf[8:]) == data, name
    print(name, "ok")
""".replace("%VEC%", repr(str(VECTORS)))


def test_golden_vectors_decode_and_encode(mpy):
    out = mpy.check(GOLDEN)
    names = sorted(json.loads((VECTORS / "expected.json").read_text()))
    assert len(names) == 10 and out.split() == [w for n in names for w in (n, "ok")]


def test_finish_turns_start_into_its_end(mpy):
    mpy.check(f"""
import logrecord as lr
start = open({str(VECTORS / 'start.bin')!r}, "rb").read()
end = open({str(VECTORS / 'end.bin')!r}, "rb").read()
b = bytearray(start)
lr.finish(b, 0, 1492, 4, 17, lr.OUT_COMPLETED, 3)
lr.set_seq(b, 0, 42)
assert bytes(b) == end
""")


def test_finish_v2_keeps_before_and_moment(mpy):
    mpy.check(f"""
import logrecord as lr
start = open({str(VECTORS / 'v2_start.bin')!r}, "rb").read()
end = open({str(VECTORS / 'v2_end.bin')!r}, "rb").read()
fault = open({str(VECTORS / 'v2_fault.bin')!r}, "rb").read()
b = bytearray(start)
lr.finish(b, 0, 1492, 4, 17, lr.OUT_COMPLETED, 3)
lr.set_seq(b, 0, 42)
assert bytes(b) == end
b = bytearray(start)
lr.finish(b, 0, lr.UNKNOWN_U16, lr.UNKNOWN_U8, lr.UNKNOWN_U8, lr.OUT_FAULT, lr.NOT_RATED)
lr.set_seq(b, 0, 42)
assert bytes(b) == fault
assert lr.OUT_PAUSED_TOO_LONG == 5 and lr.MISSED == 0x4D and lr.NO_MOMENT == 255
""")


def test_check_refuses_unknown_version_and_v1_missed(mpy):
    mpy.check(f"""
import logrecord as lr
missed = bytearray(open({str(VECTORS / 'v2_missed.bin')!r}, "rb").read())
assert lr.check(missed, 0)
missed[1] = 1  # a MISSED record does not exist in version 1
lr.seal(missed, 0)
assert not lr.check(missed, 0)
missed[1] = 3
lr.seal(missed, 0)
assert not lr.check(missed, 0)
""")


def test_check_rejects_damage_and_erased_flash(mpy):
    mpy.check(f"""
import logrecord as lr
good = open({str(VECTORS / 'v2_end.bin')!r}, "rb").read()
assert not lr.check(b"\\xff" * 32, 0)
assert not lr.check(bytes(32), 0)
for i in range(32):
    for bit in (0x01, 0x80):
        b = bytearray(good)
        b[i] ^= bit
        assert not lr.check(b, 0), (i, bit)
""")


def test_pack_check_and_getters_do_not_allocate(mpy):
    mpy.check("""
import micropython
import logfields as lf
import logrecord as lr
buf = bytearray(64)
res = [0, 0, 0]

def work(buf, res):
    lr.pack_into(buf, 32, lr.START, 1000, 3, 12345, 1700000000, 2, 0x12345678,
                 900, 0, 0, 0, lr.OUT_NONE, 6, lr.NOT_RATED, 2)
    lr.finish(buf, 32, 880, 3, 12, lr.OUT_PAUSED_TOO_LONG, 2)
    lr.set_seq(buf, 32, 1001)
    res[0] = lr.check(buf, 32)
    res[1] = lr.seq(buf, 32)
    res[2] = lr.rtype(buf, 32) + lf.after(buf, 32) + lf.moment(buf, 32)

work(buf, res)  # warm up (first calls may intern or cache)
micropython.heap_lock()
try:
    work(buf, res)
finally:
    micropython.heap_unlock()
assert res[0] and res[1] == 1001 and res[2] == lr.END + 2 + 2
""")
