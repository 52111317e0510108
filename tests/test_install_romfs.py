"""`ontspan install` on a device whose MicroPython has a ROMFS partition: the modules go
into a ROMFS image (run from flash, not RAM), only main.py and data stay on littlefs;
on one without, .mpy files as before. Both boot and play a session."""

import subprocess
import sys

from conftest import hello_or_none, wait_for
from ontspan.cli.main import main
from ontspan.device import install
from ontspan.device.arch import ARCHS, PICO, unix_port_arch
from ontspan.device.client import Link

SPEED = 60


def device_eval(port, code):
    out = subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", port, "resume", "exec", code],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return eval(out.strip().splitlines()[-1])  # a literal printed by MicroPython


def where(port):
    """Where the modules load from, and what ROMFS and littlefs hold; then boots main again."""
    found = device_eval(
        port,
        "import os, engine, link\n"
        "try:\n rom = sorted(os.listdir('/rom'))\nexcept OSError:\n rom = None\n"
        "print((engine.__file__, link.__file__, rom, sorted(os.listdir('/flash'))))",
    )
    install.soft_reset(port)  # mpremote left it at the REPL
    wait_for(lambda: hello_or_none(port), timeout=60)
    return found


def play_one_session(port):
    assert main(["flash", "--port", port, "lijf-check"]) == 0
    with Link(port) as lk:
        lk.hello()
        before = lk.status().log_count
    assert main(["start", "--port", port, "lijf-check"]) == 0

    def ended():
        with Link(port) as lk:
            st = lk.status()
            return st.state == 0 and st.log_count >= before + 2

    wait_for(ended, timeout=90)  # bounds the wait: 2.2 device-minutes at 60x


def test_install_uses_romfs_where_the_firmware_has_it(make_sim, capsys):
    dev = make_sim("rom", speed=SPEED, boot_from_flash=True, romfs_bytes=128 * 1024)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    p = dev.port

    assert main(["install", "--port", p]) == 0
    assert "ROMFS partition" in capsys.readouterr().err
    engine, link, rom, flash = where(p)
    assert engine == "/rom/engine.mpy" and link == "/rom/link.mpy"
    assert "app.mpy" in rom and "main.py" not in rom
    assert not [f for f in flash if f.endswith((".mpy", ".py")) and f != "main.py"]
    play_one_session(p)

    # back to files: the ROMFS is emptied so its old modules cannot shadow them
    assert main(["install", "--port", p, "--no-romfs"]) == 0
    engine, _, rom, flash = where(p)
    assert engine == "/flash/engine.mpy" and rom == [] and "app.mpy" in flash
    play_one_session(p)


def test_install_romfs_refused_without_a_partition(make_sim, capsys):
    dev = make_sim("plain", speed=SPEED, boot_from_flash=True)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    assert main(["install", "--port", dev.port, "--romfs"]) == 1
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("ontspan:")]
    assert len(errors) == 1 and "no ROMFS partition" in errors[0] and "Traceback" not in err


def _install_on(monkeypatch, tmp_path, platform, romfs_bytes, files=(), romfs=None):
    """install() against a device that answers `platform` (nothing runs: mpremote's
    sessions are recorded); returns (files copied, modules in the ROMFS image, finish
    script, mpremote's arguments)."""
    native = ARCHS.index(PICO if platform == "rp2" else unix_port_arch())
    target = install.Target(platform, native << 10 | 6, romfs_bytes, "/", tuple(files))  # .mpy v6
    sessions = []

    def mpremote(port, args, on_line=None):
        sessions.append(args)
        return "ONTSPAN-INSTALLED\n"

    images = []
    real_image = install.romfs_image
    monkeypatch.setattr(install, "romfs_image", lambda mods: images.append(mods) or real_image(mods))
    monkeypatch.setattr(install, "_mpremote", mpremote)
    monkeypatch.setattr(install, "probe", lambda port: target)
    monkeypatch.setattr(install, "check_port_free", lambda port: None)
    monkeypatch.setattr(install, "wait_its_turn", lambda *a, **k: None)
    monkeypatch.setattr(install, "soft_reset", lambda port: None)
    monkeypatch.setattr(install, "confirm", lambda port, trace=False: None)
    monkeypatch.setattr(install, "firmware_version", lambda src: None)
    install.install("/dev/null", romfs=romfs)
    (args,) = sessions
    cp = args.index("cp")
    copied = [a.rsplit("/", 1)[-1] for a in args[cp + 1 : args.index("+", cp) - 1]]
    rom = [m.name for m in images[-1]] if images else []
    return copied, rom, args[-1], args


SIM_BOARD = {"hal_sim.mpy", "hal_simbutton.mpy", "hal_simflash.mpy", "hal_simrom.mpy", "hal_simrtc.mpy"}


def test_a_pico_gets_neither_the_simulated_board_nor_the_device_contract(monkeypatch, tmp_path):
    """A Pico imports hal_rp2, never hal_sim*.py, and no device imports devicecontract.py
    (the tests' fake device follows it): neither goes onto its flash nor into its ROMFS
    image, and what an older install left of them is removed."""
    old = ("devicecontract.mpy", "hal_sim.mpy", "hal_simrtc.py", "engine.mpy", "main.py")
    copied, rom, finish, _ = _install_on(monkeypatch, tmp_path, "rp2", 0, old)
    assert "hal_rp2.mpy" in copied and "engine.mpy" in copied and copied[-1] == "main.py"
    assert not SIM_BOARD & set(copied) and "devicecontract.mpy" not in copied
    assert '"/devicecontract.mpy"' in finish and '"/hal_sim.mpy"' in finish and '"/hal_simrtc.py"' in finish
    assert '"/engine.mpy"' not in finish.split("for p in")[1]  # only what is not shipped goes

    copied, rom, _, _ = _install_on(monkeypatch, tmp_path, "rp2", 128 * 1024)
    assert copied == ["main.py"] and "hal_rp2.mpy" in rom and "engine.mpy" in rom
    assert not SIM_BOARD & set(rom) and "devicecontract.mpy" not in rom

    copied, _, _, _ = _install_on(monkeypatch, tmp_path, "linux", 0)  # the simulated device
    assert SIM_BOARD <= set(copied) and "devicecontract.mpy" not in copied


def test_a_pico_is_soft_reset_before_its_romfs_is_erased(monkeypatch, tmp_path):
    """A module imported from ROMFS keeps its interned names in the image: erasing the
    partition under the old firmware's modules (still loaded after the probe's Ctrl-C)
    broke the names mpremote's deploy shares with them ("NameError: name 'dev' isn't
    defined" on every second install of an emulated Pico). A Pico is soft-reset first,
    for a new image and for an emptied one alike; the simulated device's unix port,
    which a soft reset ends, is not."""
    for romfs in (None, False):  # the modules in ROMFS; .mpy files and the partition emptied
        copied, rom, _, args = _install_on(monkeypatch, tmp_path, "rp2", 128 * 1024, romfs=romfs)
        assert args[: args.index("deploy") + 1] == ["soft-reset", "romfs", "deploy"], args[:4]
        assert (rom == []) == (romfs is False) and ("engine.mpy" in copied) == (romfs is False)
    *_, args = _install_on(monkeypatch, tmp_path, "linux", 128 * 1024)
    assert args[:2] == ["romfs", "deploy"]


def test_install_moves_a_table_older_firmware_kept_at_the_root(mpy, tmp_path):
    """Older firmware kept the table at /table.bin; storage.py reads protocols/table.bin.
    The install's last step moves it there (one rename), and drops the old place's copy
    when the directory already has the live table."""
    for have_dir in (False, True):
        root = tmp_path / f"dev{int(have_dir)}"
        (root / ".install").mkdir(parents=True)
        (root / "table.bin").write_bytes(b"old place")
        if have_dir:
            (root / "protocols").mkdir()
            (root / "protocols" / "table.bin").write_bytes(b"live")
        target = install.Target("linux", 0, 0, str(root), ("table.bin", ".install"))
        res = mpy.run(install._finish_script(target, [], []))
        assert res.ok and "ONTSPAN-INSTALLED" in res.stdout, res.output[-2000:]
        assert sorted(p.name for p in root.iterdir()) == ["protocols"]
        assert (root / "protocols" / "table.bin").read_bytes() == (b"live" if have_dir else b"old place")
