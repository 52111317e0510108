"""firmware/reminder.py under MicroPython: the stored plan, the glow, missed moments."""

import ast
from pathlib import Path

from ontspan.mpy import HEAPSIZE

VECTORS = Path(__file__).parent.parent / "vectors" / "plan"
DAILY = (VECTORS / "daily.bin").read_bytes()  # 13:00 protocol 2, 21:30 protocol 20
START = 1065

SETUP = """
import os
import sys
import planlink
import reminder

class Ring:
    def __init__(self):
        self.n = 4
        self.buf = bytearray(12)
        self.shows = 0
        self.offs = 0
    def set_cap(self, cap):
        pass
    def show(self):
        self.shows += 1
    def off(self):
        self.offs += 1
        for i in range(12):
            self.buf[i] = 0

class Table:
    def __init__(self, ids):
        self.ids = ids
    def index_of(self, pid):
        return self.ids.index(pid) if pid in self.ids else -1

ROOT = %r
DAILY = bytes.fromhex(%r)
ring = Ring()
missed = []
def on_missed(i, day):
    missed.append((i, day))
"""


def _run(mpy, tmp_path, body: str) -> str:
    return mpy.check(SETUP % (str(tmp_path), DAILY.hex()) + body)


def test_store_refuse_reload_clear(mpy, tmp_path):
    out = _run(mpy, tmp_path, """
room = reminder.ReminderRoom(ROOT, ring)
res = [room.size, int(room.plan is not None), int('plan' in sys.modules)]  # no plan: its code not loaded
res.append(planlink.put(room, DAILY[:-1], Table([2, 20])))          # damaged: PLAN_E_LENGTH
res.append(planlink.put(room, DAILY, Table([2])))                   # 20 missing
res.append(planlink.put(room, DAILY, None))                         # no table at all
res.append(room.size)
res.append(planlink.put(room, DAILY, Table([2, 20, 7])))
again = reminder.ReminderRoom(ROOT, ring)                 # after a reboot
res += [again.size, bytes(again.data()) == DAILY, again.plan.protocol(1)]
res.append(sorted(os.listdir(ROOT)))
planlink.clear(again)
res += [again.size, sorted(os.listdir(ROOT)), reminder.ReminderRoom(ROOT, ring).size]
print(res)
""")
    assert ast.literal_eval(out.strip()) == [
        0, 0, 0, 1, 100, 100, 0, 0, 28, True, 20, ["plan.bin"], 0, [], 0]


def test_glow_tap_and_missed(mpy, tmp_path):
    out = _run(mpy, tmp_path, f"""
room = reminder.ReminderRoom(ROOT, ring)
planlink.put(room, DAILY, Table([2, 20]))
res = [room.tick({START}, 779, False, on_missed)]
res.append(room.tick({START}, 780, False, on_missed))
room.draw(3000, True)                      # night: the top of the breath, no blue
res.append(list(ring.buf[:3]))
room.draw(3000, False)
res.append(list(ring.buf[:3]))
room.draw(0, False)
res.append(list(ring.buf[:3]))
res.append(room.answer())                  # the tap plays the moment's protocol
res += [room.glowing, ring.offs, room.tick({START}, 790, False, on_missed)]
res.append(room.tick({START}, 1295, False, on_missed))
res.append(room.tick({START}, 1300, True, on_missed))   # a session started: no glow
res.append(ring.offs)                                   # ...and the ring left to it
room.tick({START}, 1305, True, on_missed)               # still playing as the window closes
res.append(room.tick({START + 1}, 700, False, on_missed))  # evening covered by the session
res.append(room.tick({START + 1}, 900, False, on_missed))  # noon missed
print(res, missed)
""")
    res, missed = out.strip().split("] [")
    assert ast.literal_eval(res + "]") == [
        -1, 0, [248, 62, 0], [248, 165, 68], [8, 5, 2], 2, -1, 1, -1, 1, -1, 1, -1, -1]
    assert ast.literal_eval("[" + missed) == [(0, START + 1)]


def test_tick_and_draw_do_not_allocate(mpy, tmp_path):
    out = _run(mpy, tmp_path, f"""
import micropython
room = reminder.ReminderRoom(ROOT, ring)
planlink.put(room, DAILY, Table([2, 20]))
count = [0]

def quiet(i, day):
    count[0] += 1

def run(room, first):
    for day in range(first, first + 3):
        for s in range(0, 86400, 20):
            m = s // 60
            if room.tick(day, m, False, quiet) != -1:
                room.draw(s * 1000, m > 1200)

run(room, {START})
micropython.heap_lock()
try:
    run(room, {START + 3})
finally:
    micropython.heap_unlock()
print(count[0], ring.shows > 100)
""")
    assert out.split() == ["12", "True"]  # two missed a day, 3 of the 6 days locked


def test_app_loop_with_a_glowing_reminder_allocates_nothing(mpy, tmp_path):
    """The real app on the rp2 board (quiet stand-ins) at 13:00 of the plan's first day."""
    from conftest import run_on_rp2_board
    from fwtables import pmr17, table

    epoch = 1704067200 + START * 86400 + 13 * 3600 + 30  # 13:00:30 UTC, offset 0
    printed = run_on_rp2_board(
        mpy, f"import locked_reminder\nlocked_reminder.run({table([pmr17(), pmr17()], ids=[2, 20])!r},"
        f" {DAILY!r}, {epoch})",
        tmp_path, HEAPSIZE,
    )
    words = printed.split()
    got = dict(zip(words[0:-2:2], words[1:-2:2], strict=False))
    assert (got["put"], got["glowing"], got["state"], got["pid"]) == ("0", "0", "4", "2")
    assert int(got["flags"]) & 0x10 and 14 * 60 <= int(got["left"]) <= 15 * 60
    assert int(got["sent"]) >= 20 and int(got["writes"]) >= 2  # the ring breathes


def test_a_moment_rating_override_for_its_days(mpy, tmp_path):
    """A tap on moment 0 of a plan whose moment asks before and after for 2 days:
    the session rates so on day 0 and 1, then as its protocol does."""
    import struct
    import zlib

    b = bytearray(DAILY)
    b[12 + 5] = 3 | 2 << 2  # moment 0: before and after, the first 2 days
    b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
    out = _run(mpy, tmp_path, f"""
class Dev:
    _day_s0 = 13 * 3600
    _up_at_set = 0
    up_s = 0
dev = Dev()
room = reminder.ReminderRoom(ROOT, ring)
print(planlink.put(room, bytes.fromhex({bytes(b).hex()!r}), Table([2, 20])))
res = []
for day in range(4):
    room.set_clock(({START} + day) * 86400, 0)
    res.append([room.rating(dev, 0, 0), room.rating(dev, 1, 1), room.rating(dev, -1, 0)])
print(res)
""")
    ok, res = out.strip().splitlines()
    assert ok == "0"
    assert ast.literal_eval(res) == [[2, 1, 0], [2, 1, 0], [0, 1, 0], [0, 1, 0]]
