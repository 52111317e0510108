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
