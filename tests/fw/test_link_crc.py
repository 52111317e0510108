"""The link's CRC-32 in small-int parts matches binascii/zlib, and allocates nothing."""

import random
import struct
import zlib


def test_crc_in_halves_matches_zlib_and_allocates_nothing(mpy):
    rng = random.Random(9)
    blobs = [bytes(rng.randrange(256) for _ in range(n)) for n in (0, 1, 5, 17, 31, 32, 33, 200, 521)]
    code = "import link, micropython\nout = bytearray(4)\nres = []\n"
    for b in blobs:
        code += (
            f"b = bytearray({b!r})\nmv = memoryview(b)\n"
            "micropython.heap_lock()\nlink.crc32_into(b, len(b), out, 0)\nmicropython.heap_unlock()\n"
            "a = bytes(out)\nlink.frame_crc(b, mv, len(b), out, 0)\nres.append((a, bytes(out)))\n"
        )
    code += "print(repr(res))"
    import ast

    got = ast.literal_eval(mpy.check(code).strip())
    for b, (halves, framed) in zip(blobs, got, strict=True):
        want = struct.pack("<I", zlib.crc32(b))
        assert halves == want and framed == want, len(b)


def test_crc_tables_made_by_xor_are_the_polynomials(mpy):
    """frame.py and logrecord.py make their CRC tables from the one-bit entries (a
    CRC is linear): every entry is the one the polynomial gives, bit by bit."""
    import ast

    lo, hi, c16 = (ast.literal_eval(x) for x in mpy.check(
        "import frame, logrecord\nprint(list(frame._CRC_LO8))\nprint(list(frame._CRC_HI24))\n"
        "print(list(logrecord._CRC_T))"
    ).strip().splitlines())
    assert len(lo) == len(hi) == len(c16) == 256
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        assert (lo[i], hi[i]) == (c & 0xFF, c >> 8), i
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        assert c16[i] == c & 0xFFFF, i
