# Non-allocating stand-in for the rp2 neopixel driver: counts writes only.
class NeoPixel:
    def __init__(self, pin, n, bpp=3):
        self.pin = pin
        self.n = n
        self.buf = bytearray(n * bpp)
        self.writes = 0

    def write(self):
        self.writes += 1
