"""devicecontract.Contract names everything the link handlers use on the device: the app's
Device and the tests' FakeDev provide every member (methods overridden, objects set)."""

from conftest import MP_HELPERS
from ontspan.mpy import HEAPSIZE

CHECK = """
import devicecontract
def missing(dev):
    out = []
    for name in dir(devicecontract.Contract):
        if name.startswith("__"):
            continue
        want = getattr(devicecontract.Contract, name)
        got = getattr(dev, name, None)
        if callable(want):
            if getattr(type(dev), name) is want:
                out.append(name)  # still the contract's NotImplementedError
        elif got is None:
            out.append(name)
    return out
"""


def test_contract_lists_what_planlink_and_feel_use(mpy):
    out = mpy.check("import devicecontract\nprint(*sorted(n for n in ('reminders', 'cues', 'clk', 'storage', 'log')"
                    " if hasattr(devicecontract.Contract, n)))")
    assert out.split() == ["clk", "cues", "log", "reminders", "storage"]


def test_fake_dev_provides_every_contract_member(mpy):
    out = mpy.check(CHECK + "import fake_dev\nprint('missing', *missing(fake_dev.FakeDev()))")
    assert out.split() == ["missing"]


def test_the_apps_device_provides_every_contract_member(mpy, tmp_path):
    from fwtables import pmr17, table

    out = mpy.check(
        CHECK + "import hal\nhal.impl.Board.mount_flash()\nhal.prepare = lambda: None\n"
        "import reflash, busy_guard\n"
        f"dev, rd = reflash.boot_linked({table([pmr17()])!r}, busy_guard.Sink())\n"
        "print('missing', *missing(dev))",
        path=[MP_HELPERS],
        env={"ONTSPAN_SIM_STATE": str(tmp_path)},
        heapsize=HEAPSIZE,
        stdin=b"",
    )
    assert out.split()[-1:] == ["missing"] and "missing" in out, out
