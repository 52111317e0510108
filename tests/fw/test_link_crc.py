"""The link's CRC-32 in 16-bit halves matches binascii/zlib, and allocates nothing."""

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
