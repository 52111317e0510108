# Linear RGB frame -> LED bytes: brightness cap, then gamma, in the wire's
# colour order. Shared by both HALs so the sim shows what the ring shows.
from micropython import const

_GAMMA_X10 = const(22)  # gamma 2.2


def _gamma_table():
    t = bytearray(256)
    for i in range(256):
        t[i] = int(((i / 255) ** (_GAMMA_X10 / 10)) * 255 + 0.5)
    return t


GAMMA = _gamma_table()


class Ring:
    """What both HALs' rings share: the linear RGB frame the firmware draws,
    and two brightness caps (the device's for day or night, the cue style's);
    the lower one wins. A board's ring adds show(), which calls render_out()."""

    def __init__(self, n, device_cap, out, order):
        self.n = n
        self.buf = bytearray(3 * n)  # linear RGB the firmware draws into
        self.out = out  # LED bytes after cap and gamma, in the wire's order
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
        render(self.buf, self.out, self.n, a if a < b else b, self._order)

    def show(self):
        self.render_out()

    def off(self):
        buf = self.buf
        for i in range(3 * self.n):
            buf[i] = 0
        self.show()


def render(src, dst, n, cap, order):
    """Write n pixels of linear RGB `src` into `dst` in `order` (e.g. b"\\x01\\x00\\x02" = GRB).

    Integer only, no allocation: it runs for every frame."""
    g = GAMMA
    o0 = order[0]
    o1 = order[1]
    o2 = order[2]
    j = 0
    for _ in range(n):
        dst[j + o0] = g[src[j] * cap // 255]
        dst[j + o1] = g[src[j + 1] * cap // 255]
        dst[j + o2] = g[src[j + 2] * cap // 255]
        j += 3
