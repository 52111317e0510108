# INFO and the configuration on the link (docs/link.md). Both are cheap while
# cues play: what changes rarely is built once and kept as bytes, and a request
# copies it and packs the few live numbers over its head, allocating nothing.
#
# INFO is binary (contract INFO_*). The kept part (table, boot, faults, ids,
# and the measures: heap after a collect, flash free) comes from
# dev.info_dict() and is rebuilt only while the device is idle: for a new
# Device (as its link room loads), by the handlers that change it (COMMIT, SET_CONFIG,
# CLEAR_LOGS: all idle only), and by an INFO that finds its measures older than
# _MEASURE_S. While a session plays a request
# never collects, never asks the filesystem and never builds a document; it
# reads the live fields from the Device's rooms (up_s, clock_set, cfg_ok,
# log, storage) and the link's counters.
import binascii
import json
import struct

import link
from contract import (
    FLAG_CLOCK,
    FLAG_CONFIG_DEFAULT,
    FLAG_TABLE,
    INFO_AS_KEPT,
    INFO_KEPT,
    INFO_KEPT_SIZE,
    INFO_LIVE,
    INFO_LIVE_SIZE,
    INFO_VERSION,
    TABLE_VERSION,
)
from link import ERR_INTERNAL, ERR_PAYLOAD, ERR_VALUE, fail, ok
from micropython import const

_MEASURE_S = const(2)  # heap and flash figures are re-measured (idle) when older than this
_UNKNOWN = const(0xFFFFFFFF)  # flash free could not be read


def info_doc(firmware, device_id, table_crc, table_size, protocols, selected, logs, boot,
             flash_free, clock_set, uptime_s, config_ok, faults, last_fault, heap_free, heap_used):
    """The INFO facts as the device gives them (dev.info_dict()): the one list of what
    INFO carries; the host decodes the binary reply back into this document."""
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
        "config_ok": config_ok,  # the config itself: GET_CONFIG
        "faults": {"count": faults, "last": last_fault},  # app restarts after an error
        "heap": {"free": heap_free, "used": heap_used},  # bytes, after a gc.collect()
    }


# The INFO reply as last built (module state, not a class: one of each, for
# the whole firmware); the live head is packed over it per request.
_info_dev = None  # the Device it was built for (an app restart makes a new one)
_info_buf = b""
_info_at_s = 0  # uptime second of its measures


def changed(dev, measure=False):
    """Something INFO keeps has changed (table, config, log epoch): rebuild now, while
    idle (a session may start before the next INFO or GET_CONFIG). Only the facts: the
    heap and flash figures stay as last measured (`measure`: taken again too), and an
    INFO takes them again once they are _MEASURE_S old."""
    rebuild(dev, measure)
    keep_config(dev)


def _text(b, o, s):
    v = s.encode()[:64] if s else b""
    b[o] = len(v)
    b[o + 1 : o + 1 + len(v)] = v
    return o + 1 + len(v)


def rebuild(dev, measure=True):
    """Build the kept INFO bytes from dev.info_dict(), the heap and flash figures measured
    first when `measure` (allocates: only while idle)."""
    global _info_dev, _info_buf, _info_at_s
    if measure:
        dev.measure()
    d = dev.info_dict()
    b = bytearray(link.MAX_PAYLOAD)
    t = d["table"]
    lg = d["logs"]
    dev_id = binascii.unhexlify(d["device_id"])[:16]
    ff = d["flash_free"]
    pids = d["protocols"]
    struct.pack_into(
        INFO_KEPT, b, INFO_LIVE_SIZE,
        d["heap"]["free"], d["heap"]["used"], ff if ff >= 0 else _UNKNOWN, d["clock"]["uptime_s"],
        d["boot"], int(t["crc"], 16) if t["crc"] else 0, t["size"], lg["capacity"],
        binascii.unhexlify(lg["epoch"]), d["faults"]["count"], len(pids), len(dev_id),
    )
    o = INFO_LIVE_SIZE + INFO_KEPT_SIZE
    b[o : o + len(dev_id)] = dev_id
    o = _text(b, o + len(dev_id), d["firmware"])
    o = _text(b, o, d["faults"]["last"])
    for pid in pids:
        b[o] = pid
        o += 1
    _info_buf = b[:o]
    _info_dev = dev
    _info_at_s = d["clock"]["uptime_s"]


def info(dev, lk, p, out):
    # a request of flags u8 with INFO_AS_KEPT (`ontspan flash`, for the device id) takes
    # the figures as they are, however old: no collect, no walk of the filesystem
    if _info_dev is not dev:
        rebuild(dev)
    elif dev.up_s - _info_at_s >= _MEASURE_S and not dev.busy() and not (len(p) and p[0] & INFO_AS_KEPT):
        rebuild(dev)
    n = len(_info_buf)
    out[:n] = _info_buf
    st = dev.storage
    t = st.table
    lg = dev.log
    first = lg.first_seq
    last = lg.last_seq
    flags = (FLAG_TABLE if t else 0) | (FLAG_CLOCK if dev.clock_set else 0) | dev.clock_rtc
    if not dev.cfg_ok:
        flags |= FLAG_CONFIG_DEFAULT
    struct.pack_into(
        INFO_LIVE, out, 0, INFO_VERSION, flags, t.proto_id(st.selected) if t else 0,
        dev.table_version, dev.up_s, last - first + 1 if first else 0, first, last,
        lk.rx_frames, lk.rx_bad, lk.rx_noise, lk.rx_dups, lk.tx_frames, lk.tx_short,
    )
    return ok(n)


# -- the configuration -----------------------------------------------------------
# GET_CONFIG is JSON, kept as bytes until the Device holds another config dict
# (the app and the fakes replace the dict on every change, never edit it).


_cfg_src = None  # the config dict _cfg_buf was made from
_cfg_buf = b""


def keep_config(dev):
    """The config's JSON as bytes, made again only for another dict (allocating, ~1 ms
    on a Pico: made at boot and on a change, while idle); False if too long for a reply."""
    global _cfg_src, _cfg_buf
    c = dev.config_dict()
    if c is not _cfg_src:
        b = json.dumps(c, separators=(",", ":")).encode()
        if len(b) > link.MAX_PAYLOAD:
            return False
        _cfg_buf = b
        _cfg_src = c
    return True


def get_config(dev, lk, p, out):
    if not keep_config(dev):
        return fail(ERR_INTERNAL)
    n = len(_cfg_buf)
    out[:n] = _cfg_buf
    return ok(n)


def set_config(dev, lk, p, out):
    try:
        values = json.loads(p)
    except ValueError:
        return fail(ERR_PAYLOAD)
    if not isinstance(values, dict):
        return fail(ERR_PAYLOAD)
    bad = dev.set_config(values)
    changed(dev)
    if bad:
        b = str(bad).encode()[:64]
        out[: len(b)] = b
        return fail(ERR_VALUE, len(b))
    return ok()
