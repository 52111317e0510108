# Power-cut sweep for the protocol table (run under MicroPython by
# tests/fw/test_table_powercut.py; RAM flash with cuts in tests/mp/flashsim.py).
#
# A device without a table boots and takes one upload (COMMIT makes the table's
# directory, writes the staging file and renames it) and then another. That runs once without cuts to count the flash operations; then, for
# every operation K and two cut styles (nothing of write K lands / its first half
# lands), it is replayed on a fresh image until the power dies at K. The image as
# the cut left it is mounted and booted: the table it finds must be the one before
# the upload that was running (none before the first) or the one after it, never a
# mix and never none once there was one; and the next upload must go through.
import vfs
from flashsim import CutFlash, PowerCut
from storage import Storage

MNT = "/tp"


def _mount(dev):
    try:
        vfs.umount(MNT)
    except OSError:
        pass
    vfs.mount(vfs.VfsLfs2(dev), MNT)


def _boot(dev):
    _mount(dev)
    return Storage(MNT, lambda: False)


def _live(st):
    return bytes(st.buf) if st.buf is not None else None


def _upload(st, data):
    st.stage_begin(len(data))
    st.stage_write(memoryview(data))
    r = st.stage_commit()
    assert r == 0, r


def _image():
    dev = CutFlash()
    vfs.VfsLfs2.mkfs(dev)
    _mount(dev)
    with open(MNT + "/state.json", "w") as f:  # the root is not empty on a device
        f.write("0")
    vfs.umount(MNT)
    return bytes(dev.data)


def _life(dev, uploads, running):
    st = _boot(dev)
    for i, data in enumerate(uploads):
        running[0] = i
        _upload(st, data)
    running[0] = len(uploads)


def main(new, newer):
    base = _image()
    uploads = (new, newer)
    states = (None, new, newer)  # live before upload i, after it: states[i], states[i + 1]
    dev = CutFlash(image=base)
    _life(dev, uploads, [0])
    ops = dev.ops
    assert _live(_boot(CutFlash(image=dev.data))) == newer
    cuts = 0
    for k in range(ops):
        for partial in (0, dev.bs // 2):
            dev = CutFlash(image=base)
            dev.arm(k, partial)
            running = [0]
            try:
                _life(dev, uploads, running)
            except PowerCut:
                pass
            assert dev.frozen is not None, ("no cut", k)
            i = running[0]
            dev2 = CutFlash(image=dev.frozen)
            st = _boot(dev2)
            got = _live(st)
            assert got in (states[i], states[i + 1]), ("cut", k, partial, "upload", i, got and len(got))
            _upload(st, newer)  # and the device takes the next upload
            assert _live(_boot(CutFlash(image=dev2.data))) == newer, ("after cut", k, partial)
            cuts += 1
    vfs.umount(MNT)
    print("ops", ops, "cuts", cuts)
