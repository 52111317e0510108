"""Rooms loaded by the event that needs them and dropped after: the real app on the sim
board. An idle device holds neither the cue room (cueroom.py: engine, light, touch,
program, ui) nor the host's rooms (tablelink, planlink, feel) nor the greeting; a
session, the choice and FEEL load the cue room, and once the device is idle with
nothing felt it is gone again, its heap given back."""

from conftest import MP_HELPERS
from fwtables import pmr17, table
from ontspan.mpy import HEAPSIZE

CUE_ROOM = ["engine", "light", "program", "touch", "ui"]
HOST_ROOMS = ["feel", "greet", "planlink", "tablecheck", "tablelink"]

SCRIPT = """
import gc, sys, struct
import hal
hal.impl.Board.mount_flash()
hal.prepare = lambda: None
import reflash
from contract import CMD_FEEL, CMD_PUT_TABLE_BEGIN, CMD_PUT_PLAN, FEEL_RATING
ROOMS = %(rooms)r

def loaded():
    return " ".join(m for m in ROOMS if m in sys.modules) or "-"

def used():
    gc.collect()
    return gc.mem_alloc()

def idle_out(dev, most=3000):
    # steps until the room is dropped (a felt cue or the choice ends first)
    n = 0
    while dev.engine is not None and n < most:
        dev.step()
        n += 1
    return n

dev, rd = reflash.boot_linked(%(table)r, reflash.Sink())
dev.step()
print("boot", loaded(), dev.engine is None)
for i in range(3):  # the first load interns the room's names for good; then it is all given back
    before = used()
    dev.begin(0)
    print("session", loaded(), dev.busy())
    held = used() - before
    dev.stop()
    idle_out(dev)
    print("stopped", loaded(), dev.engine is None)
print("freed", held, used() - before)

dev.buttons._show_choice()
print("choice", loaded(), dev.buttons.showing())
idle_out(dev)
print("choice_over", loaded(), dev.buttons.showing())

reflash._serve(dev, rd, (reflash._frame(CMD_FEEL, bytes([FEEL_RATING, 3, 0xFF, 0])),))
print("feel", loaded(), dev.engine is not None)
idle_out(dev)
print("felt", loaded())

frames = reflash._upload(%(table)r)
reflash._serve(dev, rd, frames[:1])
print("upload_begun", loaded())
reflash._serve(dev, rd, frames[1:])
print("uploaded", loaded(), dev.storage.table is not None)
reflash._serve(dev, rd, (reflash._frame(CMD_PUT_PLAN, b"not a plan"),))
print("plan", loaded())
"""


def _lines(out):
    return {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.strip()}


def test_an_idle_device_holds_no_room_and_each_event_loads_and_drops_its_own(mpy, tmp_path):
    tbl = table([pmr17()])
    out = mpy.check(
        SCRIPT % {"rooms": CUE_ROOM + HOST_ROOMS, "table": tbl},
        path=[MP_HELPERS],
        env={"ONTSPAN_SIM_STATE": str(tmp_path), "ONTSPAN_SIM_SPEED": "100"},
        heapsize=HEAPSIZE,
        stdin=b"",
        timeout=300,
    )
    got = {k: v for k, v in _lines(out).items() if k in {
        "boot", "session", "stopped", "freed", "choice", "choice_over", "feel", "felt", "upload_begun", "uploaded",
        "plan"}}
    assert got["boot"] == ["-", "True"], out
    assert got["session"] == [*CUE_ROOM, "True"], out
    assert got["stopped"] == ["-", "True"], out
    # the room's code and objects (KBs) are given back, session after session
    held, kept = map(int, got["freed"])
    assert held > 8192 and kept < 512, out
    assert got["choice"] == [*CUE_ROOM, "True"], out
    assert got["choice_over"] == ["-", "False"], out
    assert got["feel"] == [*CUE_ROOM, "True"], out  # the cue plays on; FEEL's own module is gone
    assert got["felt"] == ["-"], out
    assert got["upload_begun"] == ["tablelink"], out  # kept from BEGIN to COMMIT
    assert got["uploaded"] == ["-", "True"], out
    assert got["plan"] == ["-"], out
