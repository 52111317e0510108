"""The link's CRC-32, a byte at a time, matches binascii/zlib, and allocates nothing."""

import random
import struct
import zlib


def test_crc_by_bytes_matches_zlib_and_allocates_nothing(mpy):
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


def test_crc_tables_are_the_polynomials(mpy):
    """frame.py and logrecord.py keep their CRC tables as byte literals (in flash from
    ROMFS): every entry is the one the polynomial gives, bit by bit."""
    import ast

    t0, t1, t2, t3, h16, l16 = (ast.literal_eval(x) for x in mpy.check(
        "import frame, logrecord\nfor t in (frame._CRC0, frame._CRC1, frame._CRC2, frame._CRC3,"
        " logrecord._CRC_HI, logrecord._CRC_LO):\n    print(list(t))"
    ).strip().splitlines())
    assert {len(t) for t in (t0, t1, t2, t3, h16, l16)} == {256}
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        assert (t0[i], t1[i], t2[i], t3[i]) == tuple(c.to_bytes(4, "little")), i
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        assert h16[i] << 8 | l16[i] == c & 0xFFFF, i
