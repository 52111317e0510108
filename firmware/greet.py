# The boot greeting: a warm dot once around the ring, fading out ("I am
# alive", never startling). Boot only: app.py loads it for the greeting and
# lets it go after.
from micropython import const

_GREET_MS = const(1200)


def greet(dev, frame_ms):
    """A warm dot runs once around the ring and fades: 'I am alive', never startling."""
    ring = dev.board.ring
    clock = dev.clk
    dev.set_night_cap()
    t0 = clock.ticks_ms()
    while True:
        e = clock.ticks_diff(clock.ticks_ms(), t0)
        if e >= _GREET_MS:
            break
        greeting(ring.buf, ring.n, e, _GREET_MS)
        ring.show()
        # a host that talks ends the greeting: the loop answers it at once
        if dev.board.host_waiting():
            break
        dev.board.idle(frame_ms)
    ring.off()


def greeting(buf, n, e, total_ms):
    """The boot greeting e ms in: a warm dot once around the ring, fading out."""
    pos = e * n // total_ms
    level = 255 - e * 255 // total_ms
    for i in range(n):
        j = 3 * i
        on = level if i == pos else 0
        buf[j] = on
        buf[j + 1] = on * 2 // 5
        buf[j + 2] = 0
