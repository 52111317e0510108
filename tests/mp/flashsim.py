# RAM flash for littlefs tests, with power cuts.
# Block-device protocol with the extended (offset) interface that vfs.VfsLfs2
# uses: readblocks/writeblocks(block, buf, off), ioctl 4/5/6 (count, size, erase).
# A cut at operation K (program or erase) lets only the first `partial` bytes of
# that operation reach the flash, saves that image in `frozen` and raises
# PowerCut. Later operations go to the RAM copy only, so code unwinding after
# the cut (closing files) runs normally; tests remount `frozen`.


class PowerCut(Exception):
    pass


class CutFlash:
    def __init__(self, block_size=512, block_count=64, image=None):
        self.bs = block_size
        self.nblocks = block_count
        if image is None:
            self.data = bytearray(b"\xff" * (block_size * block_count))
        else:
            self.data = bytearray(image)
        self.ops = 0  # program + erase operations so far
        self.cut_at = -1  # op number that loses power; -1 = never
        self.partial = 0  # bytes of the cut op that still reach the flash
        self.frozen = None  # the image as the cut left it
        self._ff = b"\xff" * block_size

    def arm(self, cut_at, partial):
        self.ops = 0
        self.cut_at = cut_at
        self.partial = partial
        self.frozen = None

    def _cut(self):
        self.frozen = bytes(self.data)
        raise PowerCut()

    def readblocks(self, block, buf, off=0):
        a = block * self.bs + off
        try:
            buf[:] = self.data[a:a + len(buf)]
        except MemoryError:
            # a finaliser closing a file orphaned by the cut, heap locked: copy bytewise
            d = self.data
            for i in range(len(buf)):
                buf[i] = d[a + i]

    def writeblocks(self, block, buf, off=None):
        if off is None:
            # whole-block write (basic interface): erase then program
            self.ioctl(6, block)
            off = 0
        cut = self.ops == self.cut_at
        self.ops += 1
        a = block * self.bs + off
        n = len(buf)
        if cut and self.partial < n:
            n = self.partial
            self.data[a:a + n] = buf[:n]
        else:
            self.data[a:a + n] = buf
        if cut:
            self._cut()

    def ioctl(self, op, arg):
        if op == 4:
            return self.nblocks
        if op == 5:
            return self.bs
        if op == 6:
            cut = self.ops == self.cut_at
            self.ops += 1
            n = self.bs
            if cut and self.partial < n:
                n = self.partial
            a = arg * self.bs
            if n == self.bs:
                self.data[a:a + n] = self._ff  # no allocation: finalisers may erase too
            else:
                self.data[a:a + n] = b"\xff" * n
            if cut:
                self._cut()
            return 0
        return 0
