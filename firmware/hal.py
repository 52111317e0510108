# Picks the board: real pins on the Pico, the simulation on the unix port.
# Nothing outside hal_rp2/hal_sim imports machine or neopixel.
import sys

if sys.platform == "rp2":
    import hal_rp2 as impl
else:
    import hal_sim as impl

FS_ROOT = impl.Board.fs_root


def prepare():
    """Make the flash filesystem available (the sim mounts its littlefs image)."""
    impl.Board.mount_flash()


def board(cfg):
    return impl.Board(cfg)
