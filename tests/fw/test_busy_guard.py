"""The one busy guard on the real app: while a session plays, is paused or waits for a
rating (before or after), every command that writes flash or changes what plays is
refused ERR_BUSY, a BEGIN sent while idle included, and nothing on the flash changes."""

from conftest import MP_HELPERS
from fwtables import op_breath, op_rest, pmr17, program, table
from ontspan.device.codec import Frame, FrameParser
from ontspan.mpy import HEAPSIZE
from ontspan.shared import C

GUARDED = [C.CMD_PUT_TABLE_CHUNK, C.CMD_PUT_TABLE_COMMIT, C.CMD_PUT_TABLE_BEGIN, C.CMD_SET_CONFIG,
           C.CMD_CLEAR_LOGS, C.CMD_PUT_PLAN, C.CMD_CLEAR_PLAN, C.CMD_FEEL, C.CMD_FEEL]
MODES = {"playing": 1, "paused": 2, "rating_before": 3, "rating_after": 4}


def _replies(hexed):
    return [e for e in FrameParser().feed(bytes.fromhex(hexed)) if isinstance(e, Frame)]


def test_every_guarded_command_is_refused_in_every_busy_state(mpy, tmp_path):
    live = table([pmr17(), program(op_rest(30)), program(op_rest(10))], ids=[5, 6, 7], flags=[0, 2, 1])
    new = table([program(op_breath(40, 0, 60, 0, length=2, cycles=True))], ids=[9])
    res = mpy.run(
        f"import busy_guard\nbusy_guard.run({live!r}, {new!r}, (5, 6, 7))",
        path=[MP_HELPERS],
        env={"ONTSPAN_SIM_STATE": str(tmp_path), "ONTSPAN_SIM_SPEED": "10"},
        heapsize=HEAPSIZE,
        stdin=b"",
    )
    assert res.ok, res.output[-3000:]
    lines = [ln.split() for ln in res.stdout.splitlines()]
    begin = next(ln for ln in lines if ln[0] == "begin")
    assert [(r.code, r.status) for r in _replies(begin[1])] == [(C.CMD_PUT_TABLE_BEGIN | 0x80, 0)]
    seen = set()
    for ln in lines:
        if ln[0] != "batch":
            continue
        name, mode, mode_after, hexed = ln[1], int(ln[2]), int(ln[3]), ln[4]
        assert mode == mode_after == MODES[name], ln[:4]  # the session went on as it was
        got = [(r.code & 0x7F, r.status) for r in _replies(hexed)]
        assert got == [(c, C.ERR_BUSY) for c in GUARDED], (name, got)
        seen.add(name)
    assert seen == set(MODES)
    kept = next(ln for ln in lines if ln[0] == "kept")
    # the live table, config.json and the plan as they were; idle at the end
    assert kept[1:4] == ["1", "1", "0"] and kept[6] == "0"
    assert kept[4] != "30" and kept[5] != "90"  # neither SET_CONFIG nor FEEL's save reached the config
