"""Power may vanish at any flash operation of a table upload: a boot then finds the
table before the upload or the one after it, never a mix (and never none once there
was one), and the next upload goes through. Every program and erase of two uploads
(the first also makes the table's directory) is cut in turn, nothing of it landing
and half of it landing (tests/mp/table_powercut.py, RAM flash in tests/mp/flashsim.py)."""

from fwtables import op_rest, pmr17, program, table

NEW = table([pmr17(reps=1), program(op_rest(60))], ids=[3, 4])
NEWER = table([program(op_rest(30)), program(op_rest(20)), program(op_rest(10))], ids=[5, 6, 7])
SWEEP = f"import table_powercut\ntable_powercut.main({NEW!r}, {NEWER!r})"


def test_every_cut_point_leaves_the_old_table_or_the_new(mpy):
    out = mpy.check(SWEEP, timeout=300)
    words = out.split()
    ops, cuts = int(words[words.index("ops") + 1]), int(words[words.index("cuts") + 1])
    assert ops > 10  # the uploads really write
    assert cuts == 2 * ops


def test_sweep_catches_a_table_written_in_two_steps(mpy):
    """The oracle has teeth: a COMMIT that empties the live file before it writes fails."""
    res = mpy.run("""
import os, storage
def two_steps(self):
    new = self._new
    self._new = None
    with open(self.root + "/protocols/table.bin", "wb") as f:
        pass
    with open(self.root + "/protocols/table.bin", "ab") as f:
        f.write(new)
    self.buf = new
    return 0
_first = storage.Storage.stage_commit
def commit(self):
    try:
        os.stat(self.root + "/protocols")
    except OSError:
        return _first(self)  # the first upload makes the directory
    return two_steps(self)
storage.Storage.stage_commit = commit
""" + SWEEP, timeout=300)
    assert not res.ok
    assert "AssertionError" in res.output
