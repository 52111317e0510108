# The simulated device's ROMFS partition, as on a Pico whose MicroPython was
# built with MICROPY_HW_ROMFS_BYTES: `vfs.rom_ioctl` with the rp2 port's calls
# (1: number of partitions, 2: the partition as a buffer, 3: prepare to write
# (erase), 4: write at an offset, 5: end of writing), backed by rom.img in the
# sim's state folder, and the image mounted at /rom at boot with /rom and
# /rom/lib on sys.path. The unix port has vfs.VfsRom but no partition, so this
# module stands in for the port's C code; it is imported only by the sim's boot.
#
# The partition buffer lives on the heap here (the unix port cannot map flash);
# the sim enlarges its heap by the same size, and RESERVED says how much to
# leave out when heap use is compared with the Pico's.
import os
import sys

import vfs as _vfs

_MAGIC = b"\xd2\xcd\x31"
_MIN_WRITE = 4096
RESERVED = 0
_part = bytearray(0)
_path = ""


class _VfsWithRom:
    """The builtin vfs module with rom_ioctl added (builtin modules cannot take attributes)."""


def _erase():
    ff = b"\xff" * 256
    for off in range(0, len(_part), 256):
        _part[off : off + 256] = ff


def rom_ioctl(op, *args):
    if op == 1:
        return 1
    if args and args[0] != 0:
        return -22  # EINVAL: one partition
    if op == 2:
        return memoryview(_part)
    if op == 3:
        n = args[1] if len(args) > 1 else len(_part)
        if n > len(_part):
            return -28  # ENOSPC
        _erase()
        return _MIN_WRITE
    if op == 4:
        off, buf = args[1], args[2]
        _part[off : off + len(buf)] = buf
        return 0
    if op == 5:
        with open(_path, "wb") as f:
            f.write(_part)
        return 0
    return -22


def install(state_dir, size):
    """Give `vfs` a ROM partition of `size` bytes; mount its image at /rom if it holds one.
    Returns the sys.path entries the image adds (empty when it holds none)."""
    global _part, _path, RESERVED
    _path = state_dir + "/rom.img"
    _part = bytearray(size)
    _erase()
    RESERVED = size
    try:
        with open(_path, "rb") as f:
            f.readinto(_part)
    except OSError:
        pass
    shim = _VfsWithRom()
    for name in dir(_vfs):
        if not name.startswith("__"):
            setattr(shim, name, getattr(_vfs, name))
    setattr(shim, "rom_ioctl", rom_ioctl)
    sys.modules["vfs"] = shim  # pyright: ignore[reportArgumentType]
    if bytes(_part[:3]) != _MAGIC:
        return []
    try:
        _vfs.mount(getattr(_vfs, "VfsRom")(memoryview(_part)), "/rom")  # unix port only
    except OSError:
        return []  # not a valid image (e.g. a cut-off deploy): boot from the flash files
    return ["/rom", "/rom/lib"]


def env_size():
    try:
        return int(os.getenv("ONTSPAN_SIM_ROMFS") or 0)
    except ValueError:
        return 0
