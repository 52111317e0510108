# Recording stand-in for the rp2 neopixel driver: keeps every written frame.
class NeoPixel:
    def __init__(self, pin, n, bpp=3):
        self.pin = pin
        self.n = n
        self.buf = bytearray(n * bpp)
        self.writes = []

    def write(self):
        self.writes.append(bytes(self.buf))
