"""Rooms loaded by the event that needs them and dropped after it: the real app on the sim
board. An idle device holds neither the cue room (cueroom.py: engine, light, touch,
program, ui, haptic, programtime) nor the host's rooms (tablelink, planlink, feel,
tablecheck) nor the greeting; a session, the choice and FEEL load the cue room, and
once the device is idle with nothing felt it is gone again; the host's rooms go once
the host has been quiet a while (an upload in progress keeps its own). Each time the
heap is given back."""

from conftest import MP_HELPERS
from fwtables import pmr17, table
from ontspan.mpy import HEAPSIZE

CUE_ROOM = ["engine", "haptic", "light", "program", "programtime", "touch", "ui"]
HOST_ROOMS = ["feel", "greet", "planlink", "tablecheck", "tablelink"]

SCRIPT = """
import gc, sys, struct
import hal
hal.impl.Board.mount_flash()
hal.prepare = lambda: None
import reflash
from contract import CMD_FEEL, CMD_PUT_TABLE_BEGIN, CMD_PUT_PLAN, FEEL_RATING
ROOMS = %(rooms)r
CUE = %(cue)r
HOST = %(host)r

def loaded_of(names):
    return " ".join(m for m in names if m in sys.modules) or "-"

def loaded():
    return loaded_of(ROOMS)

def quiet_out(dev, most_ms=30000):
    # steps until the host's rooms go (the host quiet a while), for at most most_ms of device time
    c = dev.clk
    t0 = c.ticks_ms()
    while c.ticks_diff(c.ticks_ms(), t0) < most_ms and any(m in sys.modules for m in HOST):
        dev.step()

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
print("felt", loaded_of(CUE))
quiet_out(dev)
print("quiet", loaded())

base = used()
frames = reflash._upload(%(table)r)
reflash._serve(dev, rd, frames[:1])
print("upload_begun", loaded())
quiet_out(dev, 20000)  # 20 s of a host gone quiet mid-upload: the upload's module stays
print("stalled", loaded())
reflash._serve(dev, rd, frames[1:])
print("uploaded", loaded(), dev.storage.table is not None)
reflash._serve(dev, rd, (reflash._frame(CMD_PUT_PLAN, b"not a plan"),))
print("plan", loaded())
quiet_out(dev)
print("gone", loaded())
base = used()  # a second visit of the host: its rooms' names are interned now, all else given back
reflash._serve(dev, rd, frames + [reflash._frame(CMD_PUT_PLAN, b"not a plan")])
quiet_out(dev)
print("kept", used() - base, loaded())
"""


def _run(mpy, tmp_path, script):
    """The script's output: the real app on the sim board, its flash in tmp_path, no host."""
    return mpy.check(script, path=[MP_HELPERS], env={"ONTSPAN_SIM_STATE": str(tmp_path), "ONTSPAN_SIM_SPEED": "100"},
                     heapsize=HEAPSIZE, stdin=b"", timeout=300)


def _lines(out):
    return {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.strip()}


def test_an_idle_device_holds_no_room_and_each_event_loads_and_drops_its_own(mpy, tmp_path):
    tbl = table([pmr17()])
    out = _run(mpy, tmp_path, SCRIPT % {"rooms": CUE_ROOM + HOST_ROOMS, "cue": CUE_ROOM, "host": HOST_ROOMS,
                                        "table": tbl})
    got = _lines(out)
    assert got["boot"] == ["-", "True"], out
    assert got["session"] == [*CUE_ROOM, "True"], out
    assert got["stopped"] == ["-", "True"], out
    # the room's code and objects (KBs) are given back, session after session
    held, kept = map(int, got["freed"])
    assert held > 8192 and kept < 512, out
    assert got["choice"] == [*CUE_ROOM, "True"], out
    assert got["choice_over"] == ["-", "False"], out
    assert got["feel"] == [*CUE_ROOM, "feel", "True"], out  # the cue plays on
    assert got["felt"] == ["-"], out  # the cue room goes with the cue; FEEL's module with the host
    assert got["quiet"] == ["-"], out
    assert got["upload_begun"] == ["tablelink"], out
    assert got["stalled"] == ["tablelink"], out  # the upload's state is there
    # while the host talks: the validator and what it reads stay
    assert got["uploaded"] == ["haptic", "programtime", "tablecheck", "tablelink", "True"], out
    assert got["plan"] == ["haptic", "programtime", "planlink", "tablecheck", "tablelink"], out
    assert got["gone"] == ["-"], out
    assert abs(int(got["kept"][0])) < 512 and got["kept"][1] == "-", out


LINK_ROOM = ["frame", "infolink", "link", "service"]

LINK_SCRIPT = """
import gc, sys
import hal
hal.impl.Board.mount_flash()
hal.prepare = lambda: None
import os
import app
ROOM = %(room)r
try:
    os.mkdir("/flash/protocols")
except OSError:
    pass
with open("/flash/protocols/table.bin", "wb") as f:
    f.write(%(table)r)

def loaded():
    return " ".join(m for m in ROOM if m in sys.modules) or "-"

dev = app.boot()
waiting = [False]
dev.board.host_waiting = lambda: waiting[0]  # the serial line, quiet until the host talks
for _ in range(200):
    dev.step()
print("quiet", loaded(), dev.link is None, dev.disp is None)
dev.begin(0)
for _ in range(50):
    dev.step()
print("playing", loaded(), dev.busy())
gc.collect()
before = gc.mem_alloc()
waiting[0] = True  # the host's first byte
for _ in range(20):  # a pass with room before the next frame takes it (app._HOLD_MAX)
    dev.step()
    if dev.disp is not None:
        break
gc.collect()
print("talked", loaded(), dev.link is not None, dev.disp is not None, gc.mem_alloc() - before)
waiting[0] = False
for _ in range(50):
    dev.step()
print("kept", loaded())
"""


def test_the_link_room_loads_at_the_hosts_first_byte_and_stays(mpy, tmp_path):
    out = _run(mpy, tmp_path, LINK_SCRIPT % {"room": LINK_ROOM, "table": table([pmr17()])})
    got = _lines(out)
    assert got["quiet"] == ["-", "True", "True"], out  # boot and idle passes: no host, no room
    assert got["playing"] == ["-", "True"], out  # a session a tap starts needs none of it
    *room, has_link, has_disp, held = got["talked"]
    assert room == LINK_ROOM and has_link == has_disp == "True", out
    assert int(held) > 4096, out  # the room's code and buffers: what a bedside device saves
    assert got["kept"] == LINK_ROOM, out  # the next request may come while cues play
