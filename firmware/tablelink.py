# Link handlers for the table upload (docs/link.md, "Loading a table"):
# PUT_TABLE_BEGIN, _CHUNK, _COMMIT receive an upload into RAM, and COMMIT
# validates it and swaps it in (storage.py: flash is written only for a good one).
# service.py loads this module for an upload, never at boot, and drops it once
# the host has been quiet a while and no upload is in progress (uploading()):
# the busy guard refuses the three commands while a session plays (they write
# flash), so the import happens at idle.
# GET_TABLE, which may come mid-session, is in service.py.
import binascii
import struct

import infolink
import link
from contract import PUT_TABLE_BEGIN_REQ, TABLE_U32
from link import (
    ERR_OFFSET,
    ERR_PAYLOAD,
    ERR_STATE,
    ERR_STORAGE,
    ERR_TABLE_CRC,
    ERR_TABLE_REFUSED,
    ERR_TOO_LARGE,
    fail,
    ok,
)

_CHUNK = link.MAX_PAYLOAD - 4  # a PUT_TABLE_CHUNK carries its offset u32 first


class _Upload:
    """The one table upload in progress (PUT_TABLE_BEGIN .. COMMIT)."""

    def __init__(self):
        self.active = False
        self.total = 0
        self.crc = 0
        self.got = 0
        self.run = 0  # CRC-32 of the bytes received so far


_up = _Upload()


def uploading():
    """An upload is between its BEGIN and its COMMIT (this module must stay)."""
    return _up.active


def storage_error(out, e):
    """ERR_STORAGE with the OSError's errno u8 as detail."""
    out[0] = (e.args[0] if e.args and isinstance(e.args[0], int) else 0) & 0xFF
    return fail(ERR_STORAGE, 1)


def put_table_begin(dev, lk, p, out):
    if len(p) != 8:
        return fail(ERR_PAYLOAD)
    total, crc = struct.unpack_from(PUT_TABLE_BEGIN_REQ, p, 0)
    if total == 0 or total > dev.max_table:
        struct.pack_into(TABLE_U32, out, 0, dev.max_table)
        return fail(ERR_TOO_LARGE, 4)
    if _up.active:
        dev.stage_abort()
        _up.active = False
    try:
        r = dev.stage_begin(total)
    except OSError as e:
        return storage_error(out, e)
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
    off = struct.unpack_from(TABLE_U32, p, 0)[0]
    data = p[4:]
    if off != _up.got:
        struct.pack_into(TABLE_U32, out, 0, _up.got)
        return fail(ERR_OFFSET, 4)
    if off + len(data) > _up.total:
        return fail(ERR_PAYLOAD)
    try:
        r = dev.stage_write(data)
    except OSError as e:
        _up.active = False
        dev.stage_abort()
        return storage_error(out, e)
    if r:
        return fail(r)
    _up.got += len(data)
    _up.run = binascii.crc32(data, _up.run)
    struct.pack_into(TABLE_U32, out, 0, _up.got)
    return ok(4)


def put_table_commit(dev, lk, p, out):
    if not _up.active:
        return fail(ERR_STATE)
    if _up.got != _up.total:
        struct.pack_into(TABLE_U32, out, 0, _up.got)
        return fail(ERR_STATE, 4)
    _up.active = False
    if _up.run != _up.crc:
        dev.stage_abort()
        return fail(ERR_TABLE_CRC)
    try:
        r = dev.stage_commit()
    except OSError as e:
        dev.stage_abort()
        return storage_error(out, e)
    if r:
        dev.stage_abort()
        out[0] = r
        return fail(ERR_TABLE_REFUSED, 1)
    # a new table: INFO's CRC, size and ids, rebuilt (a heap collect and a flash
    # measure, ~45 ms of a Pico) once the OK is sent, where the device offers that
    if getattr(dev, "after_reply", 0) is None:
        dev.after_reply = infolink.changed
    else:
        infolink.changed(dev)
    return ok()

