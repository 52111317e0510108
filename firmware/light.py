# Ring frames for each cue (see docs/cues.md). Runs every frame: integers only,
# no allocation. We write perceived levels; pixels.render applies gamma, the
# brightness cap and the floor that keeps a lit LED visible at night.
from contract import SLOT_BREATH, SLOT_RELEASE, SLOT_REST, SLOT_TENSE
from micropython import const
from program import K_CHECK, K_END, K_HOLD, K_IN, K_OUT, K_POSITION, K_RELEASE, K_REST, K_TENSE

# cosine ease-in-out: EASE[i] = round(127.5 - 127.5 * cos(pi * i / 255)); a literal,
# so nothing is computed at import (tests/fw/test_pixels.py checks the formula)
EASE = (
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\x01\x01\x01\x02\x02\x02\x02\x03\x03\x03\x04\x04\x05\x05"
    b"\x06\x06\x06\x07\x08\x08\x09\x09\x0a\x0a\x0b\x0c\x0c\x0d\x0e\x0e\x0f\x10\x11\x11\x12\x13\x14\x15"
    b"\x16\x17\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x25\x26\x27\x28\x29\x2a\x2b\x2d\x2e"
    b"\x2f\x30\x31\x33\x34\x35\x36\x38\x39\x3a\x3c\x3d\x3e\x40\x41\x42\x44\x45\x47\x48\x49\x4b\x4c\x4e"
    b"\x4f\x51\x52\x54\x55\x57\x58\x5a\x5b\x5d\x5e\x60\x61\x63\x64\x66\x67\x69\x6a\x6c\x6d\x6f\x71\x72"
    b"\x74\x75\x77\x78\x7a\x7c\x7d\x7f\x80\x82\x83\x85\x87\x88\x8a\x8b\x8d\x8e\x90\x92\x93\x95\x96\x98"
    b"\x99\x9b\x9c\x9e\x9f\xa1\xa2\xa4\xa5\xa7\xa8\xaa\xab\xad\xae\xb0\xb1\xb3\xb4\xb6\xb7\xb8\xba\xbb"
    b"\xbd\xbe\xbf\xc1\xc2\xc3\xc5\xc6\xc7\xc9\xca\xcb\xcc\xce\xcf\xd0\xd1\xd2\xd4\xd5\xd6\xd7\xd8\xd9"
    b"\xda\xdc\xdd\xde\xdf\xe0\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe8\xe9\xea\xeb\xec\xed\xee\xee\xef\xf0"
    b"\xf1\xf1\xf2\xf3\xf3\xf4\xf5\xf5\xf6\xf6\xf7\xf7\xf8\xf9\xf9\xf9\xfa\xfa\xfb\xfb\xfc\xfc\xfc\xfd"
    b"\xfd\xfd\xfd\xfe\xfe\xfe\xfe\xfe\xff\xff\xff\xff\xff\xff\xff\xff"
)

_POSITION_RISE_MS = const(400)
_REST_FADE_MS = const(60_000)  # a long rest goes dark after a minute
_CHECK_PERIOD_MS = const(2000)
_RELEASE_LEVEL = const(255)  # fades from full: at night the cap leaves few levels
_REST_LEVEL = const(160)
_END_LEVEL = const(160)
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
            fade = p.dur if p.dur < _REST_FADE_MS else _REST_FADE_MS
            lv = _REST_LEVEL * (255 - EASE[_frac(el, fade)]) // 255
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
