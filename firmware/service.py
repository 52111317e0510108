# Link command handlers: payload bytes in, reply bytes out. Wire layouts are
# in docs/link.md; everything the device must do is asked of `dev`.
#
# Wiring in the app:
#     lk = link.Link(sys.stdin.buffer, sys.stdout.buffer, clock)
#     disp = link.Dispatcher(service, dev)
#     ...each tick: req = lk.poll(64); if req: disp.handle(lk, req)
# The app may also answer a request later, or answer link.ERR_BUSY itself.
#
# What `dev` must provide (ints returned as status are 0 or a link.ERR_*):
#   dev.fw_version                str, e.g. "0.1.0"
#   dev.table_version             int, table format version the decoder reads
#   dev.max_table                 int, largest table accepted (bytes)
#   dev.info_dict()               dict for INFO (JSON-able: ids, sizes, counts)
#   dev.stage_begin(total)        status; open a fresh staging file
#   dev.stage_write(data)         status; append a memoryview to the staging file
#   dev.stage_commit()            0, or a table.E_* code if the decoder refuses;
#                                 validate the staged file, then rename it over
#                                 the live table (atomic) and reload
#   dev.stage_abort()             drop the staging file
#   dev.table_size()              int, bytes of the live table (0: none)
#   dev.read_table(offset, buf)   int, bytes of the live table copied into buf
#   dev.set_clock(epoch_s, tz_min) status; Unix seconds (UTC), local offset
#   dev.clock()                   (epoch_s, tz_min, is_set)
#   dev.start(pid)                status; ERR_NO_PROTOCOL, ERR_BUSY
#   dev.stop()                    None
#   dev.status()                  (state, pid, flags, elapsed_s, remaining_s, log_count)
#   dev.config_dict()             dict of the device configuration
#   dev.set_config(values)        None, or the name (str) of the refused key
#   dev.request_reboot(mode)      None; reboot (mode 1: BOOTSEL) after the reply is written
# Any OSError from the stage_* calls is answered ERR_STORAGE with its errno.
import binascii
import json
import struct

import link
from link import (
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
from micropython import const

# STATUS state byte
ST_IDLE = const(0)
ST_PLAYING = const(1)
ST_PAUSED = const(2)
ST_RATING = const(3)  # waiting for a tension rating

# STATUS flags byte
F_TABLE = const(0x01)  # a valid table is loaded
F_CLOCK = const(0x02)  # the clock was set since boot
F_NIGHT = const(0x04)  # night mode is on
F_CONFIG_DEFAULT = const(0x08)  # the config was bad: defaults in use

_CHUNK = const(508)  # MAX_PAYLOAD - 4 (offset)


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
    b = json.dumps(obj).encode()
    n = len(b)
    if n > link.MAX_PAYLOAD:
        return fail(ERR_INTERNAL)
    out[:n] = b
    return ok(n)


def hello(dev, lk, p, out):
    # request: host link major u8, minor u8 (informative: the host decides)
    v = dev.fw_version.encode()[:32]
    struct.pack_into(
        "<BBBBH", out, 0, link.LINK_MAJOR, link.LINK_MINOR, dev.table_version, 0, link.MAX_PAYLOAD
    )
    out[6 : 6 + len(v)] = v
    return ok(6 + len(v))


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
    total, crc = struct.unpack_from("<II", p, 0)
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
    off, want = struct.unpack_from("<IH", p, 0)
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
    epoch, tz = struct.unpack_from("<Ih", p, 0)
    r = dev.set_clock(epoch, tz)
    return fail(r) if r else ok()


def get_clock(dev, lk, p, out):
    epoch, tz, is_set = dev.clock()
    struct.pack_into("<IhB", out, 0, epoch, tz, 1 if is_set else 0)
    return ok(7)


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
        "<BBBBHHI", out, 0, state, pid, flags, 0, min(elapsed, 0xFFFF), min(remaining, 0xFFFF), logs
    )
    return ok(12)


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
    # request: from_seq u32, max records u8; reply: whole 32-byte records, oldest first
    if len(p) != 5:
        return fail(ERR_PAYLOAD)
    from_seq, want = struct.unpack_from("<IB", p, 0)
    room = min(want, link.MAX_PAYLOAD // 32)
    return ok(32 * dev.get_logs(from_seq, memoryview(out)[: 32 * room]))


def clear_logs(dev, lk, p, out):
    # request: upto seq u32 (the newest the host has stored)
    if len(p) != 4:
        return fail(ERR_PAYLOAD)
    r = dev.clear_logs(struct.unpack_from("<I", p, 0)[0])
    return fail(r) if r else ok()


def feel(dev, lk, p, out):
    # one cue on the motor now (firmware/feel.py; layout in firmware/contract.py)
    if len(p) != 4:
        return fail(ERR_PAYLOAD)
    import feel as fl

    r, strength, ms = fl.play(dev, p[0], p[1], p[2], p[3])
    if r:
        return fail(r)
    struct.pack_into("<BH", out, 0, strength, min(ms, 0xFFFF))
    return ok(3)
