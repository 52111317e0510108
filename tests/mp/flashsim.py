# RAM flash for littlefs tests, with power cuts.
# Block-device protocol with the extended (offset) interface that vfs.VfsLfs2
# uses: readblocks/writeblocks(block, buf, off), ioctl 4/5/6 (count, size, erase).
# Erase sets 0xFF; program copies bytes. A cut at operation K
# applies only the first `partial` bytes of that operation and raises PowerCut;
# nothing is applied after it.


class PowerCut(Exception):
    pass


class CutFlash:
    def __init__(self, block_size=512, block_count=64, image=None):
        self.bs = block_size
        self.nblocks = block_count
        self.data = bytearray(image) if image is not None else bytearray(b"\xff" * (block_size * block_count))
        self.ops = 0  # program + erase operations so far
        self.cut_at = -1  # op number that loses power; -1 = never
        self.partial = 0  # bytes of the cut op that still reach the flash
        self.dead = False

    def arm(self, cut_at, partial):
        self.ops = 0
        self.cut_at = cut_at
        self.partial = partial
        self.dead = False

    def _op(self):
        if self.dead:
            raise PowerCut()
        n = self.ops
        self.ops += 1
        return n == self.cut_at

    def readblocks(self, block, buf, off=0):
        if self.dead:
            raise PowerCut()
        a = block * self.bs + off
        buf[:] = self.data[a:a + len(buf)]

    def writeblocks(self, block, buf, off=None):
        if off is None:
            # whole-block write (basic interface): erase then program
            self.ioctl(6, block)
            off = 0
        cut = self._op()
        a = block * self.bs + off
        n = len(buf)
        if cut:
            n = self.partial if self.partial < n else n
        # littlefs erases before it programs, so plain copy equals NOR's AND here
        self.data[a:a + n] = buf[:n] if n < len(buf) else buf
        if cut:
            self.dead = True
            raise PowerCut()

    def ioctl(self, op, arg):
        if op == 4:
            return self.nblocks
        if op == 5:
            return self.bs
        if op == 6:
            cut = self._op()
            a = arg * self.bs
            n = self.bs
            if cut:
                n = self.partial if self.partial < n else n
            self.data[a:a + n] = b"\xff" * n
            if cut:
                self.dead = True
                raise PowerCut()
            return 0
        return 0
