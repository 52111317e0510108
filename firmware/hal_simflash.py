# The simulated device's flash: a littlefs block device backed by an image file
# in the sim's state directory (sim only; hal_sim mounts it at /flash).
from micropython import const

_BLOCK = const(4096)
_BLOCKS = const(352)  # 1408 KiB, the Pico's default filesystem size


class FileBlockDev:
    """littlefs block device (extended interface) backed by an image file."""

    def __init__(self, path):
        try:
            self._f = open(path, "r+b")
        except OSError:
            with open(path, "wb") as f:
                blank = b"\xff" * _BLOCK
                for _ in range(_BLOCKS):
                    f.write(blank)
            self._f = open(path, "r+b")

    def readblocks(self, n, buf, off=0):
        self._f.seek(n * _BLOCK + off)
        self._f.readinto(buf)

    def writeblocks(self, n, buf, off=None):
        if off is None:  # simple interface: erase then write whole blocks
            self.ioctl(6, n)
            off = 0
        self._f.seek(n * _BLOCK + off)
        self._f.write(buf)  # unbuffered on the unix port: a kill -9 after this keeps the
        # bytes, as flash would; no flush(), which is an fsync() there (a disk round trip
        # per block that a power cut of the process does not need)

    def ioctl(self, op, arg):
        if op == 4:
            return _BLOCKS
        if op == 5:
            return _BLOCK
        if op == 6:
            self._f.seek(arg * _BLOCK)
            self._f.write(b"\xff" * _BLOCK)
            return 0
        return None
