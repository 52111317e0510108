"""The firmware's viper code is built for the device's architecture, and a MicroPython
that loads no native code is refused in one line."""

import pytest
from ontspan.device import build
from ontspan.device.arch import PICO, arch_of, unix_port_arch
from ontspan.errors import OntspanError
from ontspan.paths import FIRMWARE_DIR


def test_arch_read_from_mpy_value():
    assert arch_of(2822) == "x64"  # the unix port on a PC: .mpy v6.3, architecture 2
    assert arch_of((4 << 10) | 6) == "armv6m"  # a Pico (RP2040)
    assert unix_port_arch() in ("x86", "x64", "armv6", "armv7m", "armv7em", "rv64imc")


@pytest.mark.parametrize("mpy", [6, (13 << 10) | 6, (63 << 10) | 6])
def test_arch_without_native_code_refused(mpy):
    with pytest.raises(OntspanError) as e:
        arch_of(mpy)
    msg = str(e.value)
    assert "loads no native code" in msg and "armv6m" in msg and "\n" not in msg


@pytest.mark.parametrize("march, code", [(PICO, 4), ("x64", 2)])
def test_only_viper_modules_carry_the_arch(tmp_path, march, code):
    """.mpy header byte 2: architecture << 2 | sub-version. frame.py and logrecord.py
    (viper CRCs) carry the one they were built for; the rest stay plain bytecode."""
    built = {p.name: p.read_bytes() for p in build.build(FIRMWARE_DIR, tmp_path, march)}
    native = sorted(n for n, b in built.items() if n.endswith(".mpy") and b[2] >> 2)
    assert native == ["frame.mpy", "logrecord.mpy"]
    assert {built[n][2] >> 2 for n in native} == {code}
