# The link's framing on the device: CRC-32 and the block encoding of
# docs/link.md ("Encoding"), over preallocated buffers. link.py reads and
# writes frames with them; host/ontspan/device/codec.py is the host's twin and
# tests/vectors/link/ pins both.
import binascii
from array import array

from contract import FRAME_EOF, FRAME_NO_MARK, FRAME_RESERVED, FRAME_RUN, FRAME_SOF
from micropython import const

# derived size (a plain global: const() cannot fold names from another module)
CODE_MAX = FRAME_RESERVED + FRAME_NO_MARK * FRAME_RUN + FRAME_RUN - 1  # 250: full block
SHORT_FRAME = const(32)  # header + payload bytes up to this: CRC without allocating


def _crc_tables():
    # CRC-32 (poly 0xEDB88320, as zlib/binascii) of each byte value, as its low byte
    # and its high 24 bits: the register kept the same way takes a byte in three short
    # steps (crc32_into), and no value ever needs more than 24 bits. A CRC is linear:
    # the entry of i ^ j is the entries of i and j xored. So the eight one-bit entries
    # are worked out bit by bit and every other entry is one xor of two made before it:
    # a tenth of the work of the bit loop for all 256 (40 ms of a Pico's boot), and no
    # written-out table held in RAM beside the arrays (a module's constants live as
    # long as its functions).
    lo = bytearray(256)
    hi = array("I", bytes(1024))
    b = 1
    while b < 256:
        cl = b  # the entry in 16-bit halves while its bits are worked out
        ch = 0
        for _ in range(8):
            if cl & 1:
                cl = ((cl >> 1) | ((ch & 1) << 15)) ^ 0x8320
                ch = (ch >> 1) ^ 0xEDB8
            else:
                cl = (cl >> 1) | ((ch & 1) << 15)
                ch >>= 1
        el = cl & 0xFF
        eh = (ch << 8) | (cl >> 8)
        lo[b] = el
        hi[b] = eh
        for j in range(1, b):  # b + j: entry b xor entry j
            lo[b + j] = el ^ lo[j]
            hi[b + j] = eh ^ hi[j]
        b <<= 1
    return lo, hi


_CRC_LO8, _CRC_HI24 = _crc_tables()


def crc32_into(buf, n, out, o):
    """CRC-32 of buf[:n] (the same as binascii.crc32) written little-endian at
    out[o:o+4]. The register is kept as its low byte and its high 24 bits: no int
    ever needs more than 24 bits, so nothing is allocated even on the rp2, where
    small ints are 31-bit and a CRC-32 value would be a heap object, and no slice of
    buf is made. Three steps a byte: the framing of every reply and request runs here."""
    tl = _CRC_LO8
    th = _CRC_HI24
    lo = 0xFF
    hi = 0xFFFFFF
    for i in range(n):
        k = lo ^ buf[i]
        lo = tl[k] ^ (hi & 0xFF)
        hi = th[k] ^ (hi >> 8)
    out[o] = lo ^ 0xFF
    hi ^= 0xFFFFFF
    out[o + 1] = hi & 0xFF
    out[o + 2] = (hi >> 8) & 0xFF
    out[o + 3] = hi >> 16


def frame_crc(buf, mv, n, out, o):
    """CRC-32 of buf[:n] (mv: a memoryview of buf) at out[o:o+4], little-endian.
    Short frames (STATUS, HELLO, START, ... and their replies) take the
    allocation-free loop; long ones binascii, 100x faster (a long frame
    allocates its payload view anyway, and a 521-byte loop costs ~30 ms on a Pico)."""
    if n <= SHORT_FRAME:
        crc32_into(buf, n, out, o)
        return
    view_crc_into(mv[:n], out, o)


def view_crc_into(v, out, o):
    """binascii's CRC-32 of the whole view v at out[o:o+4], little-endian."""
    c = binascii.crc32(v)
    out[o] = c & 0xFF
    out[o + 1] = (c >> 8) & 0xFF
    out[o + 2] = (c >> 16) & 0xFF
    out[o + 3] = (c >> 24) & 0xFF


def encode_part(src, i, n, dst, ci, o, run):
    """The block encoding of src[i:n] continued into dst: ci is where the open
    block's code byte goes, o the next free byte, run its literals so far.
    Returns the state after it as one small int: ci | o << 10 | run << 20."""
    reserved = FRAME_RESERVED  # locals: the byte loop runs at the speed of folded consts
    run_max = FRAME_RUN
    run_full = FRAME_RUN - 1  # (worked out once, not per literal)
    full = CODE_MAX
    for k in range(i, n):
        b = src[k]
        if b < reserved:
            dst[ci] = reserved + b * run_max + run
            ci = o
            o += 1
            run = 0
        else:
            dst[o] = b
            o += 1
            run += 1
            if run == run_full:
                dst[ci] = full
                ci = o
                o += 1
                run = 0
    return ci | (o << 10) | (run << 20)


def encode_end(dst, state):
    """Close the open block of an encode_part state and end the frame; its length."""
    ci = state & 0x3FF
    o = (state >> 10) & 0x3FF
    dst[ci] = FRAME_RESERVED + FRAME_NO_MARK * FRAME_RUN + (state >> 20)
    dst[o] = FRAME_EOF
    return o + 1


def encode(src, n, dst):
    """Encode frame bytes src[0:n] into dst with delimiters; returns the length."""
    dst[0] = FRAME_SOF
    return encode_end(dst, encode_part(src, 0, n, dst, 1, 2, 0))


class Kept:
    """A reply payload (or its end) that is sent many times, framed once: when the
    byte before it in the frame is a marker (below 0x08), its encoding starts a
    block of its own, so its whole blocks are copied, not encoded, per reply.
    raw[tail:] are the literals of its last, open block: the CRC follows them."""

    def __init__(self, raw):
        n = len(raw)
        self.raw = raw
        self.n = n
        dst = bytearray(n + n // (FRAME_RUN - 1) + 2)
        st = encode_part(raw, 0, n, dst, 0, 1, 0)
        self.blocks = dst[: st & 0x3FF]
        self.tail = n - (st >> 20)
