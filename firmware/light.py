# Ring frames for each cue (see docs/cues.md). Runs every frame: integers only,
# no allocation. The HAL applies gamma and the brightness cap to what we write.
import math

from micropython import const
from program import K_CHECK, K_END, K_HOLD, K_IN, K_OUT, K_POSITION, K_RELEASE, K_REST, K_TENSE
from table import SLOT_BREATH, SLOT_RELEASE, SLOT_REST, SLOT_TENSE

# cosine ease-in-out 0..255 -> 0..255, built once at import
EASE = bytearray(256)
for _i in range(256):
    EASE[_i] = int(127.5 - 127.5 * math.cos(math.pi * _i / 255) + 0.5)

_POSITION_RISE_MS = const(400)
_REST_FADE_MS = const(60_000)  # a long rest goes dark after a minute
_CHECK_PERIOD_MS = const(2000)
_RELEASE_LEVEL = const(200)
_REST_LEVEL = const(96)
_END_LEVEL = const(64)
_BREATH_FLOOR = const(40)
_CHECK_FLOOR = const(20)
_CHECK_SWING = const(180)


def _frac(el, ms):
    # 0..255 progress of el through ms (el < 2^22 keeps el << 8 a small int)
    if ms <= 0 or el >= ms:
        return 255
    return (el << 8) // ms


class Light:
    def __init__(self, ring):
        self.ring = ring
        self.n = ring.n
        self.pal = bytearray(12)  # tense, release, breath, rest as R,G,B

    def clear(self):
        buf = self.ring.buf
        for i in range(len(buf)):
            buf[i] = 0

    def dim(self, shift):
        buf = self.ring.buf
        for i in range(len(buf)):
            buf[i] = buf[i] >> shift

    def _led(self, i, slot, level):
        buf = self.ring.buf
        pal = self.pal
        j = i * 3
        buf[j] = pal[slot] * level // 255
        buf[j + 1] = pal[slot + 1] * level // 255
        buf[j + 2] = pal[slot + 2] * level // 255

    def _fill(self, slot, level, amount, belly):
        # light `amount`/256 of the ring, the last LED in part; belly grows both ways from LED 0
        buf = self.ring.buf
        pal = self.pal
        n = self.n
        r = pal[slot] * level // 255
        g = pal[slot + 1] * level // 255
        b = pal[slot + 2] * level // 255
        pos = amount * ((n >> 1) + 1) if belly else amount * n
        for i in range(n):
            d = i
            if belly and n - i < i:
                d = n - i
            v = pos - (d << 8)
            if v < 0:
                v = 0
            elif v > 256:
                v = 256
            j = i * 3
            buf[j] = (r * v) >> 8
            buf[j + 1] = (g * v) >> 8
            buf[j + 2] = (b * v) >> 8

    def draw(self, p, el):
        # one frame of program p's current edge, el ms into it
        kind = p.kind
        x = EASE[_frac(el, p.dur)]
        amount = x + (x >> 7)  # 0..256
        if kind == K_TENSE:
            self._fill(SLOT_TENSE, 255, amount, False)
        elif kind == K_RELEASE:
            self._fill(SLOT_RELEASE, _RELEASE_LEVEL * (255 - x) // 255, 256, False)
        elif kind == K_IN:
            lv = _BREATH_FLOOR + x * (255 - _BREATH_FLOOR) // 255
            self._fill(SLOT_BREATH, lv, amount, p.belly)
        elif kind == K_HOLD:
            self._fill(SLOT_BREATH, 255, 256, p.belly)
        elif kind == K_OUT:
            lv = 255 - x * (255 - _BREATH_FLOOR) // 255
            self._fill(SLOT_BREATH, lv, 256 - amount, p.belly)
        elif kind == K_REST:
            lv = _REST_LEVEL * (255 - EASE[_frac(el, _REST_FADE_MS)]) // 255
            self._fill(SLOT_REST, lv, 256, False)
        elif kind == K_END:
            self._fill(SLOT_REST, _END_LEVEL * (255 - x) // 255, 256, False)
        elif kind == K_POSITION:
            self._position(p.group, p.groups, EASE[_frac(el, _POSITION_RISE_MS)])
        elif kind == K_CHECK:
            self._check(p.prompt, el)
        else:  # K_PAUSE: dark between breaths
            self.clear()

    def _position(self, g, count, lv):
        # LED k of n stands for group g of count; groups done glow faintly
        n = self.n
        k = g * n // count if count else 0
        self.clear()
        for i in range(k):
            self._led(i, SLOT_RELEASE, lv >> 3)
        self._led(k, SLOT_RELEASE, lv)

    def _check(self, prompt, el):
        # the prompt's place on the ring pulses softly
        n = self.n
        c = prompt * n // 5
        u = (el % _CHECK_PERIOD_MS) * 512 // _CHECK_PERIOD_MS
        if u > 255:
            u = 511 - u
        lv = _CHECK_FLOOR + EASE[u] * _CHECK_SWING // 255
        self.clear()
        self._led(c, SLOT_BREATH, lv)
        self._led((c + 1) % n, SLOT_BREATH, lv // 3)
        self._led((c + n - 1) % n, SLOT_BREATH, lv // 3)
