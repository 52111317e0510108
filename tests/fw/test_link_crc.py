"""The link's CRC-32 (viper, a table per byte) matches binascii/zlib at every length, and allocates nothing."""

import random
import struct
import zlib


def test_crc_by_bytes_matches_zlib_and_allocates_nothing(mpy):
    rng = random.Random(9)
    blobs = [bytes(rng.randrange(256) for _ in range(n)) for n in (0, 1, 5, 17, 31, 32, 33, 200, 521)]
    code = "import link, micropython\nout = bytearray(4)\nres = []\n"
    for b in blobs:
        code += (
            f"b = bytearray({b!r})\nmv = memoryview(b)[1:]\n"
            "micropython.heap_lock()\nlink.crc32_into(b, len(b), out, 0)\nmicropython.heap_unlock()\n"
            "a = bytes(out)\nlink.crc32_into(mv, len(b) - 1, out, 0) if b else None\n"
            "res.append((a, bytes(out) if b else a))\n"
        )
    code += "print(repr(res))"
    import ast

    got = ast.literal_eval(mpy.check(code).strip())
    for b, (whole, view) in zip(blobs, got, strict=True):
        assert whole == struct.pack("<I", zlib.crc32(b)), len(b)
        if b:  # a memoryview from its second byte: the same CRC as those bytes
            assert view == struct.pack("<I", zlib.crc32(b[1:])), len(b)


def test_crc_tables_are_the_polynomials(mpy):
    """frame.py and logrecord.py keep their CRC tables as const bytes literals (in flash
    from ROMFS, no name in RAM): the CRC of each single byte v reads every table at
    0xFF ^ v, so these 256 CRCs pin every entry of every table."""
    import binascii
    import zlib

    out = mpy.check(
        "import frame, logrecord\nb = bytearray(1)\nout = bytearray(4)\n"
        "for v in range(256):\n    b[0] = v\n    frame.crc32_into(b, 1, out, 0)\n"
        "    print(bytes(out).hex(), logrecord.crc16(b, 0, 1))"
    ).strip().splitlines()
    assert len(out) == 256
    for v, line in enumerate(out):
        c32, c16 = line.split()
        assert bytes.fromhex(c32) == zlib.crc32(bytes([v])).to_bytes(4, "little"), v
        assert int(c16) == binascii.crc_hqx(bytes([v]), 0xFFFF), v
