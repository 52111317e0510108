# Link command handlers: payload bytes in, reply bytes out. Wire layouts are
# in docs/link.md; everything the device must do is asked of `dev`, an object
# with the members of `Contract` in devicecontract.py (the app's Device, the tests' FakeDev).
# The handlers live by area: here the small ones and every one a playing
# session may be asked (GET_TABLE, GET_PLAN); infolink.py INFO and the
# configuration, loaded at boot. The handlers the busy guard keeps for idle
# (the table upload in tablelink.py, the plan changes in planlink.py, FEEL in
# feel.py) are loaded by the request that needs them and dropped once the host
# has been quiet a while (drop_rooms): that code is in the heap only while a
# therapist's tools talk to the device, and its import never runs while cues
# play (the guard refuses the command first).
#
# Wiring in the app:
#     lk = link.Link(sys.stdin.buffer, sys.stdout.buffer, clock)
#     disp = link.Dispatcher(service, dev)      # calls service.ready(dev); the app
#                                               # asks False and calls it as it loads them
#     ...each tick: req = lk.poll(64); if req: disp.handle(lk, req)
#
# A handler reads its payload p before it writes `out`: both are views of the
# link's one frame buffer (link.Link), at the same offset.
#
# The busy guard (end of this file) refuses every command that writes flash or
# changes what plays while dev.busy(): handlers never check it themselves.
import struct
import sys

import infolink
import link
import table
from contract import (  # noqa: F401  (the app reads states and flags as service.*)
    CLEAR_LOGS_REQ,
    CLOCK_REPLY_HALVES,
    CLOCK_SIZE,
    ERR_NO_PROTOCOL,
    ERR_OFFSET,
    FEEL_REPLY,
    FLAG_CLOCK,
    FLAG_CLOCK_RTC,
    FLAG_CONFIG_DEFAULT,
    FLAG_NIGHT,
    FLAG_RTC,
    FLAG_TABLE,
    GET_LOGS_REQ,
    GET_TABLE_REQ,
    HELLO_REPLY,
    LOG_EPOCH_SIZE,
    LOG_RECORD_SIZE,
    SET_CLOCK_REQ_HALVES,
    STATE_IDLE,
    STATE_PAUSED,
    STATE_PLAYING,
    STATE_RATING,
    STATUS_REPLY,
    STATUS_SIZE,
)
from infolink import get_config, info, info_doc, set_config  # noqa: F401  (INFO, *_CONFIG)
from link import ERR_BUSY, ERR_PAYLOAD, fail, ok
from micropython import const

# While a session plays, long replies are cut short: a request may hold the cue
# loop 1 ms of a Pico, and a full GET_TABLE reply takes ~1.4 ms there, a GET_LOGS
# record read ~0.4 ms. One record (36 bytes) or 32 table bytes a reply keeps each
# under it (tests/mp/pico_handler_times.py). The host asks on.
_FRAME_RECORDS = (link.MAX_PAYLOAD - LOG_EPOCH_SIZE) // LOG_RECORD_SIZE
_BUSY_RECORDS = const(1)  # GET_LOGS records per reply while busy (36 bytes)
_BUSY_BYTES = const(32)  # GET_TABLE bytes per reply while busy

_fw = bytearray(32)  # the firmware version as ASCII, made once: HELLO allocates nothing
_fw_n = -1


def hello(dev, lk, p, out):
    # request: host link major u8, minor u8 (informative: the host decides)
    global _fw_n
    if _fw_n < 0:
        v = dev.fw_version.encode()[:32]
        _fw_n = len(v)
        _fw[:_fw_n] = v
    struct.pack_into(
        HELLO_REPLY, out, 0, link.LINK_MAJOR, link.LINK_MINOR, dev.table_version, 0, link.MAX_PAYLOAD
    )
    for i in range(_fw_n):
        out[6 + i] = _fw[i]
    return ok(6 + _fw_n)


def echo(dev, lk, p, out):
    n = len(p)
    out[:n] = p
    return ok(n)


def set_clock(dev, lk, p, out):
    if len(p) != 6:
        return fail(ERR_PAYLOAD)
    # the u32 seconds as two halves: one int of ~1.8e9 is a heap int on the rp2
    lo, hi, tz = struct.unpack_from(SET_CLOCK_REQ_HALVES, p, 0)
    r = dev.set_clock(lo, hi, tz)
    return fail(r) if r else ok()


def get_clock(dev, lk, p, out):
    lo, hi, tz, is_set = dev.clock()
    struct.pack_into(CLOCK_REPLY_HALVES, out, 0, lo, hi, tz, 1 if is_set else 0)
    return ok(CLOCK_SIZE)


def start(dev, lk, p, out):
    if len(p) != 1:
        return fail(ERR_PAYLOAD)
    r = dev.start(p[0])
    return fail(r) if r else ok()


def stop(dev, lk, p, out):
    dev.stop()
    return ok()


def status(dev, lk, p, out):
    state, pid, flags, elapsed, remaining, logs = dev.status()
    struct.pack_into(
        STATUS_REPLY, out, 0, state, pid, flags, 0, min(elapsed, 0xFFFF), min(remaining, 0xFFFF), logs
    )
    return ok(STATUS_SIZE)


def reboot(dev, lk, p, out):
    mode = p[0] if len(p) else 0
    if mode > 1:
        return fail(ERR_PAYLOAD)
    dev.request_reboot(mode)
    return ok()


def get_logs(dev, lk, p, out):
    # request: from_seq u32, max records u8; reply: the log epoch, then whole
    # records, oldest first
    if len(p) != 5:
        return fail(ERR_PAYLOAD)
    from_seq, want = struct.unpack_from(GET_LOGS_REQ, p, 0)
    room = min(want, _BUSY_RECORDS if dev.busy() else _FRAME_RECORDS)
    out[0:LOG_EPOCH_SIZE] = dev.log_epoch()
    recs = memoryview(out)[LOG_EPOCH_SIZE : LOG_EPOCH_SIZE + LOG_RECORD_SIZE * room]
    return ok(LOG_EPOCH_SIZE + LOG_RECORD_SIZE * dev.get_logs(from_seq, recs))


def clear_logs(dev, lk, p, out):
    # request: upto seq u32 (the newest the host has stored)
    if len(p) != 4:
        return fail(ERR_PAYLOAD)
    r = dev.clear_logs(struct.unpack_from(CLEAR_LOGS_REQ, p, 0)[0])
    infolink.changed(dev, True)  # the log epoch and the flash free
    return fail(r) if r else ok()


def get_table(dev, lk, p, out):
    # request: offset u32, bytes wanted u16; reply: the table's size u32, then its bytes
    if len(p) != 6:
        return fail(ERR_PAYLOAD)
    off, want = struct.unpack_from(GET_TABLE_REQ, p, 0)
    total = dev.table_size()
    if not total:
        return fail(ERR_NO_PROTOCOL)
    struct.pack_into("<I", out, 0, total)
    if off > total:
        return fail(ERR_OFFSET, 4)
    n = min(want, _BUSY_BYTES if dev.busy() else link.MAX_PAYLOAD - 4, total - off)
    got = dev.read_table(off, out[4 : 4 + n]) if n else 0
    return ok(4 + got)


def get_plan(dev, lk, p, out):
    d = dev.reminders.data()
    n = len(d)
    out[:n] = d
    return ok(n)


# -- handlers loaded by the request that needs them --------------------------
# (idle only: the busy guard runs before them). They stay while the host talks
# (an `ontspan flash` is BEGIN, CHUNKs, COMMIT, INFO...) and go once it has been
# quiet a while (drop_rooms, from the app's loop): nothing else holds them, so
# the next collect frees their code; their names stay interned.
_ROOMS = ("tablelink", "planlink", "feel", "tablecheck")


def drop_rooms():
    """The host has gone quiet: let its rooms go. True while one must stay (an upload between
    its BEGIN and its COMMIT keeps its module: its state is there)."""
    up = sys.modules.get("tablelink")
    if up is not None and up.uploading():
        return True
    for m in _ROOMS:
        sys.modules.pop(m, None)
    table.drop_check()  # the patterns and timing the validator read, unless a cue plays from them
    return False


def put_table_begin(dev, lk, p, out):
    import tablelink

    return tablelink.put_table_begin(dev, lk, p, out)


def put_table_chunk(dev, lk, p, out):
    import tablelink

    return tablelink.put_table_chunk(dev, lk, p, out)


def put_table_commit(dev, lk, p, out):
    import tablelink

    return tablelink.put_table_commit(dev, lk, p, out)


def put_plan(dev, lk, p, out):
    import planlink

    return planlink.put_plan(dev, lk, p, out)


def clear_plan(dev, lk, p, out):
    import planlink

    return planlink.clear_plan(dev, lk, p, out)


def feel(dev, lk, p, out):
    # one cue on the motor now (firmware/feel.py; layout in firmware/contract.py);
    # the cue room it plays in stays until the cue is over (app.py)
    if len(p) != 4:
        return fail(ERR_PAYLOAD)
    import feel as feel_cue

    r, strength, ms = feel_cue.play(dev, p[0], p[1], p[2], p[3])
    if r:
        return fail(r)
    struct.pack_into(FEEL_REPLY, out, 0, strength, min(ms, 0xFFFF))
    return ok(3)


# -- the busy guard ------------------------------------------------------------
# Everything that writes flash or changes what plays. While dev.busy() (a
# session plays, is paused or waits for a rating) these are answered ERR_BUSY
# before they run: on the rp2 a flash erase halts everything for 45-400 ms,
# and a swapped table would change the session under the patient. FEEL plays
# on the motor and, with FEEL_SAVE, writes config.json: idle only, saved or not.
WHEN_IDLE = ("put_table_begin", "put_table_chunk", "put_table_commit", "set_config", "clear_logs",
             "put_plan", "clear_plan", "feel")


def _when_idle(handler):
    def guarded(dev, lk, p, out):
        if dev.busy():
            return fail(ERR_BUSY)
        return handler(dev, lk, p, out)

    return guarded


def _guard_all():
    g = globals()
    for name in WHEN_IDLE:
        g[name] = _when_idle(g[name])


_guard_all()


def ready(dev, measured=False):
    """Called once dev is served (the app: as its link room loads): INFO and GET_CONFIG's
    JSON are built now, while the device is idle, not on a first request that may come
    mid-session; the heap and flash figures are taken now unless the device `measured`
    them (the app: after its greeting, before the host's first byte)."""
    infolink.rebuild(dev, not measured)
    infolink.keep_config(dev)
