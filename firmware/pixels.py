# Ring frames -> LED bytes. The firmware draws perceived levels (0..255); here
# they become LED bytes: gamma first, then the brightness cap on the result, so
# a cap is the brightest byte the LEDs ever get (night 24 means byte 24, not
# gamma(24) = 1). A lit pixel never rounds to black: its brightest channel is
# lifted to _FLOOR, keeping the colour's proportions. Shared by both HALs and the
# preview, so the sim and the preview show what the ring shows.
from micropython import const

_FLOOR = const(3)  # the dimmest lit LED byte; 1-2 is lost next to a pillow

# gamma 2.2: GAMMA[i] = round((i / 255) ** 2.2 * 255); a literal, so nothing is
# computed (in floats) at import (tests/fw/test_pixels.py checks the formula)
GAMMA = (
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x02\x02\x02\x02\x02\x02\x02\x03\x03\x03\x03\x03\x04\x04\x04\x04\x05\x05\x05\x05\x06\x06\x06"
    b"\x06\x07\x07\x07\x08\x08\x08\x09\x09\x09\x0a\x0a\x0b\x0b\x0b\x0c\x0c\x0d\x0d\x0d\x0e\x0e\x0f\x0f"
    b"\x10\x10\x11\x11\x12\x12\x13\x13\x14\x14\x15\x16\x16\x17\x17\x18\x19\x19\x1a\x1a\x1b\x1c\x1c\x1d"
    b"\x1e\x1e\x1f\x20\x21\x21\x22\x23\x23\x24\x25\x26\x27\x27\x28\x29\x2a\x2b\x2b\x2c\x2d\x2e\x2f\x30"
    b"\x31\x31\x32\x33\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\x3e\x3f\x40\x41\x42\x43\x44\x45\x46\x47"
    b"\x49\x4a\x4b\x4c\x4d\x4e\x4f\x51\x52\x53\x54\x55\x57\x58\x59\x5a\x5b\x5d\x5e\x5f\x61\x62\x63\x64"
    b"\x66\x67\x69\x6a\x6b\x6d\x6e\x6f\x71\x72\x74\x75\x77\x78\x79\x7b\x7c\x7e\x7f\x81\x82\x84\x85\x87"
    b"\x89\x8a\x8c\x8d\x8f\x91\x92\x94\x95\x97\x99\x9a\x9c\x9e\x9f\xa1\xa3\xa5\xa6\xa8\xaa\xac\xad\xaf"
    b"\xb1\xb3\xb5\xb6\xb8\xba\xbc\xbe\xc0\xc2\xc4\xc5\xc7\xc9\xcb\xcd\xcf\xd1\xd3\xd5\xd7\xd9\xdb\xdd"
    b"\xdf\xe1\xe3\xe5\xe7\xea\xec\xee\xf0\xf2\xf4\xf6\xf8\xfb\xfd\xff"
)


class Ring:
    """What both HALs' rings share: the frame the firmware draws (perceived
    levels), and two brightness caps (the device's for day or night, the cue
    style's); the lower one wins. A board's ring adds show(), which calls render_out()."""

    def __init__(self, n, device_cap, out, order):
        self.n = n
        self.buf = bytearray(3 * n)  # perceived levels the firmware draws into
        self.out = out  # LED bytes after gamma and cap, in the wire's order
        self._order = order
        self._device_cap = device_cap
        self._style_cap = 255

    def set_device_cap(self, cap):
        self._device_cap = cap

    def set_cap(self, cap):
        self._style_cap = cap

    def render_out(self):
        a = self._device_cap
        b = self._style_cap
        render(self.buf, self.out, self.n, a if a < b else b, self._order)  # the lower cap wins

    def show(self):
        self.render_out()

    def off(self):
        buf = self.buf
        for i in range(3 * self.n):
            buf[i] = 0
        self.show()


def render(src, dst, n, cap, order):
    """Write n pixels of `src` into `dst` in `order` (e.g. b"\\x01\\x00\\x02" = GRB).

    Integer only, no allocation: it runs for every frame."""
    g = GAMMA
    o0 = order[0]
    o1 = order[1]
    o2 = order[2]
    floor = _FLOOR if cap > _FLOOR else cap
    j = 0
    for _ in range(n):
        r = src[j]
        gr = src[j + 1]
        b = src[j + 2]
        a = g[r] * cap // 255
        c = g[gr] * cap // 255
        d = g[b] * cap // 255
        m = a if a > c else c
        if d > m:
            m = d
        if m < floor:
            s = r if r > gr else gr
            if b > s:
                s = b
            if s:  # lit, but below the floor: lift it, colour kept by the source ratios
                a = r * floor // s
                c = gr * floor // s
                d = b * floor // s
        dst[j + o0] = a
        dst[j + o1] = c
        dst[j + o2] = d
        j += 3
