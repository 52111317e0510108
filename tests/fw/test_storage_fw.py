"""storage.py under MicroPython: the live table's buffer is the table's own size; an
upload is received in RAM and validated once there; a refused one never touches flash,
so the live table stays as it was, in RAM and in its file; a good one is written, renamed
over the live file and becomes the live buffer. The table has a directory of its own
(protocols/), which a device's first COMMIT makes."""

from fwtables import op_rest, pmr17, program, table
from ontspan.firmware.contract import E_CRC  # the table's own CRC does not match


def test_upload_is_validated_in_ram_and_a_refused_one_leaves_flash_alone(mpy, tmp_path):
    good = table([pmr17()])
    new = table([pmr17(reps=1), program(op_rest(60))], ids=[3, 4])
    bad = bytearray(new)
    bad[-1] ^= 1
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "table.bin").write_bytes(good)
    root = str(tmp_path)
    code = f"""
import os, storage
s = storage.Storage({root!r}, lambda: False)
print("live", len(s.buf), s.size, s.table.count())
def up(data):
    s.stage_begin(len(data))
    for o in range(0, len(data), 100):
        s.stage_write(memoryview(data)[o:o + 100])
    return s.stage_commit()
r = up({bytes(bad)!r})
print("refused", r, len(s.buf), s.table.proto_id(0), " ".join(sorted(os.listdir({root!r} + "/protocols"))))
r = up({new!r})
print("taken", r, len(s.buf), s.table.count(), s.table.proto_id(0), " ".join(sorted(os.listdir({root!r} + "/protocols"))))
"""
    res = mpy.run(code)
    assert res.ok, res.output[-2000:]
    live, refused, taken = (ln.split() for ln in res.stdout.strip().splitlines())
    assert live == ["live", str(len(good)), str(len(good)), "1"]
    assert refused == ["refused", str(E_CRC), str(len(good)), "1", "table.bin"]  # no staging file
    assert taken == ["taken", "0", str(len(new)), "2", "3", "table.bin"]
    assert (tmp_path / "protocols" / "table.bin").read_bytes() == new


def test_a_devices_first_table_makes_its_directory(mpy, tmp_path):
    new = table([pmr17(reps=1), program(op_rest(60))], ids=[3, 4])
    res = mpy.run(f"""
import storage
s = storage.Storage({str(tmp_path)!r}, lambda: False)
print(s.table is None)
s.stage_begin({len(new)})
s.stage_write({new!r})
print(s.stage_commit(), s.size)
""")
    assert res.ok, res.output[-2000:]
    assert res.stdout.split() == ["True", "0", str(len(new))]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["protocols"]
    assert (tmp_path / "protocols" / "table.bin").read_bytes() == new
