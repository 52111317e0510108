# Link command handlers: payload bytes in, reply bytes out. Wire layouts are
# in docs/link.md; everything the device must do is asked of `dev`, an object
# with the methods of `Contract` below (the app's Device, the tests' FakeDev).
#
# Wiring in the app:
#     lk = link.Link(sys.stdin.buffer, sys.stdout.buffer, clock)
#     disp = link.Dispatcher(service, dev)
#     ...each tick: req = lk.poll(64); if req: disp.handle(lk, req)
#
# The busy guard (end of this file) refuses every command that writes flash or
# changes what plays while dev.busy(): handlers never check it themselves.
import binascii
import json
import struct

import feel as feel_cue  # at boot: an import while idle for hours may find no room left
import link
from contract import (  # noqa: F401  (the app reads states and flags as service.*)
    CLEAR_LOGS_REQ,
    CLOCK_REPLY_HALVES,
    CLOCK_SIZE,
    FLAG_CLOCK,
    FLAG_CONFIG_DEFAULT,
    FLAG_NIGHT,
    FLAG_TABLE,
    GET_LOGS_REQ,
    GET_TABLE_REQ,
    HELLO_REPLY,
    LOG_EPOCH_SIZE,
    LOG_RECORD_SIZE,
    PUT_TABLE_BEGIN_REQ,
    SET_CLOCK_REQ_HALVES,
    STATE_IDLE,
    STATE_PAUSED,
    STATE_PLAYING,
    STATE_RATING,
    STATUS_REPLY,
    STATUS_SIZE,
    TABLE_MAX,
    TABLE_VERSION,
)
from link import (
    ERR_BUSY,
    ERR_INTERNAL,
    ERR_NO_PROTOCOL,
    ERR_OFFSET,
    ERR_PAYLOAD,
    ERR_STATE,
    ERR_STORAGE,
    ERR_TABLE_CRC,
    ERR_TABLE_REFUSED,
    ERR_TOO_LARGE,
    ERR_VALUE,
    fail,
    ok,
)
from planlink import clear_plan, get_plan, put_plan  # noqa: F401  (PLAN commands: docs/plans.md)

_CHUNK = link.MAX_PAYLOAD - 4  # a PUT_TABLE_CHUNK carries its offset u32 first


class Contract:
    """What the link asks of the device. Status ints are 0 or a link.ERR_*.
    Any OSError from the stage_* calls is answered ERR_STORAGE with its errno."""

    fw_version = "0.0.0"  # str, the firmware release
    table_version = TABLE_VERSION  # table format version the decoder reads
    max_table = TABLE_MAX  # largest table accepted, bytes

    def busy(self):
        """True while a session plays, is paused or waits for a rating: the busy
        guard then refuses table uploads, SET_CONFIG and CLEAR_LOGS."""
        raise NotImplementedError

    def info_dict(self):
        """The INFO document: build it with info_doc() so its keys are the schema."""
        raise NotImplementedError

    def stage_begin(self, total):
        """Status; open a fresh staging file for `total` bytes."""
        raise NotImplementedError

    def stage_write(self, data):
        """Status; append a memoryview to the staging file."""
        raise NotImplementedError

    def stage_commit(self):
        """0, or a table.E_* code if the decoder refuses: validate the staged file,
        rename it over the live table (atomic) and load it."""
        raise NotImplementedError

    def stage_abort(self):
        """Drop the staging file."""
        raise NotImplementedError

    def table_size(self):
        """Bytes of the live table (0: none)."""
        raise NotImplementedError

    def read_table(self, offset, buf):
        """Bytes of the live table from offset copied into buf; returns how many."""
        raise NotImplementedError

    def set_clock(self, lo, hi, tz_min):
        """Status; Unix seconds (UTC) as low and high u16 half, the local offset in minutes."""
        raise NotImplementedError

    def clock(self):
        """(Unix seconds low u16, high u16, tz_min, is_set): never the seconds as one int."""
        raise NotImplementedError

    def start(self, pid):
        """Status: 0, ERR_NO_PROTOCOL or ERR_BUSY."""
        raise NotImplementedError

    def stop(self):
        """Stop whatever session is on (no-op when idle)."""
        raise NotImplementedError

    def status(self):
        """(state STATE_*, pid, flags FLAG_*, elapsed_s, remaining_s, log_count): a tuple
        or a list the device reuses (the app's allocates nothing)."""
        raise NotImplementedError

    def config_dict(self):
        """The configuration in use (every key of config.DEFAULTS)."""
        raise NotImplementedError

    def set_config(self, values):
        """None, or the name (str) of the refused key; applies at once."""
        raise NotImplementedError

    def request_reboot(self, mode):
        """Reboot (mode 1: BOOTSEL) after the reply is written."""
        raise NotImplementedError

    def get_logs(self, from_seq, buf):
        """Whole log records with seq >= from_seq copied into buf; returns how many."""
        raise NotImplementedError

    def log_epoch(self):
        """The log epoch, 4 bytes: the GET_LOGS reply starts with it."""
        raise NotImplementedError

    def clear_logs(self, upto):
        """Status; forget records with seq <= upto."""
        raise NotImplementedError


def info_doc(firmware, device_id, table_crc, table_size, protocols, selected, logs, boot,
             flash_free, clock_set, uptime_s, config_ok, faults, last_fault, heap_free, heap_used):
    """The INFO document: the one definition of its keys (the host reads these)."""
    return {
        "firmware": firmware,
        "device_id": device_id,  # hex
        "table": {
            "version": TABLE_VERSION,
            "crc": ("%08x" % table_crc) if table_size else None,
            "size": table_size,
        },
        "protocols": protocols,  # ids, in table order
        "selected": selected,  # id of the chosen protocol, None without a table
        "logs": logs,  # {"count", "capacity", "first", "last", "epoch"}
        "boot": boot,
        "flash_free": flash_free,
        "clock": {"set": clock_set, "uptime_s": uptime_s},
        "config_ok": config_ok,  # the config itself: GET_CONFIG (INFO stays in one frame)
        "faults": {"count": faults, "last": last_fault},  # app restarts after an error
        "heap": {"free": heap_free, "used": heap_used},  # bytes, after a gc.collect()
    }


class _Upload:
    """The one table upload in progress (PUT_TABLE_BEGIN .. COMMIT)."""

    def __init__(self):
        self.active = False
        self.total = 0
        self.crc = 0
        self.got = 0
        self.run = 0  # CRC-32 of the bytes received so far


_up = _Upload()


def _storage(out, e):
    out[0] = (e.args[0] if e.args and isinstance(e.args[0], int) else 0) & 0xFF
    return fail(ERR_STORAGE, 1)


def _json(out, obj):
    b = json.dumps(obj, separators=(",", ":")).encode()  # compact: INFO must fit one frame
    n = len(b)
    if n > link.MAX_PAYLOAD:
        return fail(ERR_INTERNAL)
    out[:n] = b
    return ok(n)


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


def info(dev, lk, p, out):
    d = dev.info_dict()
    d["link"] = {
        "rx": lk.rx_frames,
        "bad": lk.rx_bad,
        "noise": lk.rx_noise,
        "dup": lk.rx_dups,
        "tx": lk.tx_frames,
        "short": lk.tx_short,
    }
    return _json(out, d)


def echo(dev, lk, p, out):
    n = len(p)
    out[:n] = p
    return ok(n)


def put_table_begin(dev, lk, p, out):
    if len(p) != 8:
        return fail(ERR_PAYLOAD)
    total, crc = struct.unpack_from(PUT_TABLE_BEGIN_REQ, p, 0)
    if total == 0 or total > dev.max_table:
        struct.pack_into("<I", out, 0, dev.max_table)
        return fail(ERR_TOO_LARGE, 4)
    if _up.active:
        dev.stage_abort()
        _up.active = False
    try:
        r = dev.stage_begin(total)
    except OSError as e:
        return _storage(out, e)
    if r:
        return fail(r)
    _up.active = True
    _up.total = total
    _up.crc = crc
    _up.got = 0
    _up.run = 0
    struct.pack_into("<H", out, 0, _CHUNK)
    return ok(2)


def put_table_chunk(dev, lk, p, out):
    if len(p) < 5:
        return fail(ERR_PAYLOAD)
    if not _up.active:
        return fail(ERR_STATE)
    off = struct.unpack_from("<I", p, 0)[0]
    data = p[4:]
    if off != _up.got:
        struct.pack_into("<I", out, 0, _up.got)
        return fail(ERR_OFFSET, 4)
    if off + len(data) > _up.total:
        return fail(ERR_PAYLOAD)
    try:
        r = dev.stage_write(data)
    except OSError as e:
        _up.active = False
        dev.stage_abort()
        return _storage(out, e)
    if r:
        return fail(r)
    _up.got += len(data)
    _up.run = binascii.crc32(data, _up.run)
    struct.pack_into("<I", out, 0, _up.got)
    return ok(4)


def put_table_commit(dev, lk, p, out):
    if not _up.active:
        return fail(ERR_STATE)
    if _up.got != _up.total:
        struct.pack_into("<I", out, 0, _up.got)
        return fail(ERR_STATE, 4)
    _up.active = False
    if _up.run != _up.crc:
        dev.stage_abort()
        return fail(ERR_TABLE_CRC)
    try:
        r = dev.stage_commit()
    except OSError as e:
        dev.stage_abort()
        return _storage(out, e)
    if r:
        dev.stage_abort()
        out[0] = r
        return fail(ERR_TABLE_REFUSED, 1)
    return ok()


def get_table(dev, lk, p, out):
    if len(p) != 6:
        return fail(ERR_PAYLOAD)
    off, want = struct.unpack_from(GET_TABLE_REQ, p, 0)
    total = dev.table_size()
    if not total:
        return fail(ERR_NO_PROTOCOL)
    struct.pack_into("<I", out, 0, total)
    if off > total:
        return fail(ERR_OFFSET, 4)
    n = min(want, link.MAX_PAYLOAD - 4, total - off)
    got = dev.read_table(off, out[4 : 4 + n]) if n else 0
    return ok(4 + got)


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


def set_config(dev, lk, p, out):
    try:
        values = json.loads(p)
    except ValueError:
        return fail(ERR_PAYLOAD)
    if not isinstance(values, dict):
        return fail(ERR_PAYLOAD)
    bad = dev.set_config(values)
    if bad:
        b = str(bad).encode()[:64]
        out[: len(b)] = b
        return fail(ERR_VALUE, len(b))
    return ok()


def get_config(dev, lk, p, out):
    return _json(out, dev.config_dict())


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
    room = min(want, (link.MAX_PAYLOAD - LOG_EPOCH_SIZE) // LOG_RECORD_SIZE)
    out[0:LOG_EPOCH_SIZE] = dev.log_epoch()
    recs = memoryview(out)[LOG_EPOCH_SIZE : LOG_EPOCH_SIZE + LOG_RECORD_SIZE * room]
    return ok(LOG_EPOCH_SIZE + LOG_RECORD_SIZE * dev.get_logs(from_seq, recs))


def clear_logs(dev, lk, p, out):
    # request: upto seq u32 (the newest the host has stored)
    if len(p) != 4:
        return fail(ERR_PAYLOAD)
    r = dev.clear_logs(struct.unpack_from(CLEAR_LOGS_REQ, p, 0)[0])
    return fail(r) if r else ok()


def feel(dev, lk, p, out):
    # one cue on the motor now (firmware/feel.py; layout in firmware/contract.py)
    if len(p) != 4:
        return fail(ERR_PAYLOAD)
    r, strength, ms = feel_cue.play(dev, p[0], p[1], p[2], p[3])
    if r:
        return fail(r)
    struct.pack_into("<BH", out, 0, strength, min(ms, 0xFFFF))
    return ok(3)


# -- the busy guard ------------------------------------------------------------
# Everything that writes flash or changes what plays. While dev.busy() (a
# session plays, is paused or waits for a rating) these are answered ERR_BUSY
# before they run: on the rp2 a flash erase halts everything for 45-400 ms,
# and a swapped table would change the session under the patient.
WHEN_IDLE = ("put_table_begin", "put_table_chunk", "put_table_commit", "set_config", "clear_logs",
             "put_plan", "clear_plan")


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
