"""Power may vanish at any byte: no committed log record is lost.

For every flash operation of a scripted life of the device (several boots and
sessions, a session cut short, ring wrap-around with a small capacity,
clear_upto) and two cut styles (the cut write lands not at all / half), the
image as the cut left it is remounted and reopened; every record committed
before the cut must be there, intact, in order, without duplicates, and the
logbook must keep working. The whole sweep runs in one MicroPython process
(tests/mp/powercut_sweep.py, RAM flash in tests/mp/flashsim.py).
"""


def test_every_cut_point_keeps_committed_records(mpy):
    out = mpy.check("import powercut_sweep; powercut_sweep.main()", timeout=300)
    words = out.split()
    cuts = int(words[words.index("cuts") + 1])
    ops = int(words[words.index("ops") + 1])
    assert ops > 50  # the script really writes
    assert cuts == 2 * ops


def test_sweep_catches_a_non_atomic_logbook(mpy):
    """The oracle has teeth: meta written in place (not by rename) must fail."""
    res = mpy.run("""
import logbook, os
def bad_meta(self):
    with open(self.root + "/meta", "wb") as f:
        f.write(b"\\x00")
    struct_free = bytearray(10)
    logbook.Logbook._write_meta_ok(self)
logbook.Logbook._write_meta_ok = logbook.Logbook._write_meta
logbook.Logbook._write_meta = bad_meta
import powercut_sweep
powercut_sweep.main()
""", timeout=300)
    assert not res.ok
    assert "AssertionError" in res.output
