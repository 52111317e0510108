# Faults: what the app does after an unhandled error (app.run restarts it).
# The motor stops and the ring goes dark first, the open session is closed as
# FAULT (never as "cut by power"), and the fault is counted on flash for INFO.
import os

_FAULTS = "/faults.txt"  # "<count> <kind of the last>"


def read(root):
    """(count, kind of the last) of the faults the app restarted after."""
    try:
        with open(root + _FAULTS) as f:
            n, kind = f.read().split(" ", 1)
        return int(n), kind
    except (OSError, ValueError):
        return 0, None


def _count(root, kind):
    n = read(root)[0] + 1
    try:
        with open(root + _FAULTS + ".tmp", "w") as f:
            f.write("%d %s" % (n, kind))
        os.rename(root + _FAULTS + ".tmp", root + _FAULTS)
    except OSError:
        pass


def safe(dev):
    """Motor off and ring dark, whatever state the app was left in."""
    if dev is None:
        return
    try:
        dev.board.deinit()
    except Exception:  # a half-built board: nothing more to turn off
        pass


def note(dev, e):
    """After an unhandled error: safe, close the session with FAULT, count it."""
    safe(dev)
    if dev is None:
        return
    try:
        dev.session.fault()
    except Exception:
        pass
    _count(dev.root, type(e).__name__)
