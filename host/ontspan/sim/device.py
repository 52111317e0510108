"""The simulated device: the real firmware under MicroPython on a pseudo-terminal.

Two pseudo-terminals joined by a relay thread: the firmware owns one as its
controlling terminal (so a 0x03 from the host raises KeyboardInterrupt in it,
exactly like Ctrl-C on a Pico's USB serial), clients open the other like a
serial port. The client side outlives firmware restarts, as a Pico's port
outlives a soft reset: when the firmware process ends (REBOOT, Ctrl-D in the
REPL, a crash) the launcher starts it again.
"""

import fcntl
import hashlib
import os
import pty
import select
import shutil
import subprocess
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import OntspanError
from ..mpy import HEAP_KIB, HEAPSIZE  # noqa: F401  (HEAPSIZE: the benches)
from ..paths import FIRMWARE_DIR, micropython_binary

T = TypeVar("T")
RESTART_BACKOFF_S = 0.5
RELAY_BUFFER = 65536  # bytes held per direction while a side does not read
GESTURES = ("tap", "double", "hold")

# With boot_from_flash: run the firmware installed on the sim's flash image (as a
# Pico runs what is on its flash), or the host's firmware dir while none is.
# hal_sim from the host only mounts the image; the installed modules are
# then imported afresh from /flash, and their mount_flash becomes a no-op.
# With a ROMFS partition (romfs_bytes), hal_simrom gives vfs the rp2 port's rom_ioctl and
# mounts a deployed image at /rom, first on sys.path, as the rp2 port does at boot.
BOOT_SHIM = """\
import os, sys
import hal_simrom
_rom = hal_simrom.install(os.getenv("ONTSPAN_SIM_STATE"), hal_simrom.env_size()) if hal_simrom.env_size() else []
_before = set(sys.modules)
import hal_sim
hal_sim.Board.mount_flash()
try:
    os.stat("/flash/main.py")
    _main = "/flash/main.py"
except OSError:
    _main = None
if _main:
    for _m in set(sys.modules) - _before:
        del sys.modules[_m]
    sys.path[:] = _rom + ["/flash", ".frozen"]
    import hal_sim
else:
    _main = %r
hal_sim.Board.mount_flash = lambda: None
del _before
exec(open(_main).read(), {"__name__": "__main__"})
"""


def compiled_firmware(src: Path) -> Path:
    """The firmware in `src` compiled to .mpy, as a Pico runs it from its flash: made once
    per content in the temp folder and shared. From source, every import would compile
    on the sim's Pico-sized heap, which the Pico never does (and which does not fit)."""
    from ..device import build, inline
    from ..device.arch import unix_port_arch

    sources = build.firmware_sources(src)
    march = unix_port_arch()  # frame.py's viper loops: machine code for this computer
    digest = hashlib.sha256(b"".join(Path(str(m.__file__)).read_bytes() for m in (inline, build)))  # the build's rules
    digest.update(march.encode() + b"\0")
    for py in sources:
        digest.update(py.name.encode() + b"\0" + py.read_bytes() + b"\0")
    out = Path(tempfile.gettempdir()) / f"ontspan-sim-mpy-{digest.hexdigest()[:20]}"
    if (out / "main.py").exists():
        return out
    tmp = Path(tempfile.mkdtemp(prefix=out.name + "-", dir=out.parent))
    build.build(src, tmp, march)
    try:
        os.rename(tmp, out)
    except OSError:  # another sim built it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def poll_until(predicate: Callable[[], T], timeout: float, interval: float = 0.02) -> T | None:
    """Call `predicate` until it returns something truthy (returned) or `timeout` s pass (None)."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= end:
            return value or None
        time.sleep(interval)


def _raw_with_intr(fd: int) -> None:
    """Raw mode, but 0x03 still raises SIGINT; no other control byte is special."""
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] |= termios.ISIG
    attrs[6][termios.VQUIT] = 0
    attrs[6][termios.VSUSP] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def _nonblocking(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except (BlockingIOError, InterruptedError):
        return b""
    except OSError:
        return b""  # the firmware side closed (it exited): the relay restarts it


def _write(fd: int, data: bytearray) -> int:
    try:
        return os.write(fd, data[:4096])
    except (BlockingIOError, InterruptedError):
        return 0
    except OSError:
        return len(data)  # nobody to write to (firmware gone): drop it


def _controlling_tty() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


RTC_CHIPS = ("", "ds3231", "pcf8563")  # the clock module on the sim's I2C ("" none; firmware/rtc.py)


class SimDevice:
    """One virtual Pico. `port` is the serial device path clients open."""

    def __init__(
        self,
        state_dir: str | os.PathLike[str] | None = None,
        *,
        speed: int = 1,
        trace: bool = False,
        draw: bool = False,
        firmware_dir: str | os.PathLike[str] | None = None,
        device_id: str | None = None,
        ticks0: int | None = None,
        boot_from_flash: bool = False,
        romfs_bytes: int = 0,
        rtc: str = "",
        rtc_battery_lost: bool = False,
    ):
        if speed < 1:
            raise OntspanError(f"--speed must be a whole number >= 1, not {speed}")
        self._tmp = None
        if state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ontspan-sim-")
            state_dir = self._tmp.name
        self.state = Path(state_dir)
        self.state.mkdir(parents=True, exist_ok=True)
        self.speed = speed
        self.trace_path = self.state / "trace.log" if trace else None
        self.draw = draw
        self.firmware_dir = compiled_firmware(Path(firmware_dir or FIRMWARE_DIR))
        self.device_id = device_id or self._stored_device_id()
        self.ticks0 = ticks0
        self.boot_from_flash = boot_from_flash
        if romfs_bytes and not boot_from_flash:
            raise OntspanError("a ROMFS partition needs --from-flash: only installed firmware boots from it")
        self.romfs_bytes = romfs_bytes
        if rtc not in RTC_CHIPS:
            raise OntspanError(f"--rtc must be one of {', '.join(RTC_CHIPS)}, not {rtc!r}")
        self.rtc = rtc
        if rtc_battery_lost:
            self.lose_rtc_battery()
        self.boots = 0
        self.dropped = 0  # firmware output dropped while the client did not read
        self.proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._lock_fd: int | None = None
        self._relay: threading.Thread | None = None
        self.port = ""

    def _stored_device_id(self) -> str:
        """Each state dir is one device: its id is made once and kept."""
        f = self.state / "device_id"
        if not f.exists():
            f.write_text(os.urandom(8).hex())
        return f.read_text().strip()

    # -- lifecycle -------------------------------------------------------
    def start(self) -> "SimDevice":
        self._lock_fd = os.open(self.state / "lock", os.O_CREAT | os.O_RDWR)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._lock_fd)
            raise OntspanError(f"state directory {self.state} is in use by another sim") from None
        control = self.state / "control"
        if not control.exists():
            os.mkfifo(control)
        self._client_master, client_slave = pty.openpty()
        tty.setraw(client_slave)
        self._client_slave = client_slave  # held open so the port exists while no client is connected
        self.port = os.ttyname(client_slave)
        (self.state / "port").write_text(self.port + "\n")
        self._spawn()
        self._relay = threading.Thread(target=self._run_relay, name="sim-relay", daemon=True)
        self._relay.start()
        return self

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            MICROPYPATH=f"{self.firmware_dir}:.frozen",
            ONTSPAN_SIM_STATE=str(self.state),
            ONTSPAN_SIM_SPEED=str(self.speed),
            ONTSPAN_SIM_TRACE=str(self.trace_path or ""),
            ONTSPAN_SIM_DRAW="1" if self.draw else "0",
            ONTSPAN_SIM_ID=self.device_id,
            ONTSPAN_SIM_ROMFS=str(self.romfs_bytes),
            ONTSPAN_SIM_RTC=self.rtc,
        )
        if self.ticks0 is not None:
            env["ONTSPAN_SIM_TICKS0"] = str(self.ticks0)
        return env

    def _heap_kib(self) -> int:
        """The Pico's heap, plus room for the ROM partition the unix port keeps on its heap."""
        return HEAP_KIB + -(-self.romfs_bytes // 1024)

    def _spawn(self) -> None:
        self._fw_master, fw_slave = pty.openpty()
        _raw_with_intr(fw_slave)
        main = self.firmware_dir / "main.py"
        if self.boot_from_flash:
            shim = self.state / "boot_shim.py"
            shim.write_text(BOOT_SHIM % str(main))
            main = shim
        stderr = None if self.draw else open(self.state / "sim.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [micropython_binary(), "-X", f"heapsize={self._heap_kib()}K", "-i", str(main)],
            stdin=fw_slave,
            stdout=fw_slave,
            stderr=stderr,
            env=self._env(),
            preexec_fn=_controlling_tty,
            close_fds=True,
        )
        os.close(fw_slave)
        if stderr:
            stderr.close()
        self.boots += 1

    def _run_relay(self) -> None:
        """Copy bytes both ways without ever blocking; restart the firmware whenever it ends.

        Both pty masters are non-blocking: a side that does not read only fills its
        buffer here (up to RELAY_BUFFER, then, like a USB host that stopped reading,
        newer output is dropped), and the other direction keeps flowing."""
        to_fw = bytearray()
        to_client = bytearray()
        _nonblocking(self._client_master)
        fw = -1
        while not self._stop.is_set():
            if fw != self._fw_master:
                fw = self._fw_master
                _nonblocking(fw)
            rlist = [self._client_master, fw] if len(to_fw) < RELAY_BUFFER else [fw]
            wlist = []
            if to_fw:
                wlist.append(fw)
            if to_client:
                wlist.append(self._client_master)
            try:
                r, w, _ = select.select(rlist, wlist, [], 0.05)
            except (OSError, ValueError):
                break
            if self._client_master in r:
                to_fw += _read(self._client_master)
            if fw in r:
                data = _read(fw)
                room = RELAY_BUFFER - len(to_client)
                self.dropped += max(0, len(data) - room)
                to_client += data[: max(0, room)]
            if fw in w:
                del to_fw[: _write(fw, to_fw)]
            if self._client_master in w:
                del to_client[: _write(self._client_master, to_client)]
            proc = self.proc
            if proc is not None and proc.poll() is not None and not self._stop.is_set():
                self._drain_and_close_fw()
                to_fw.clear()
                time.sleep(RESTART_BACKOFF_S / self.speed if proc.returncode == 0 else RESTART_BACKOFF_S)
                if not self._stop.is_set():
                    self._spawn()

    def _drain_and_close_fw(self) -> None:
        try:
            while select.select([self._fw_master], [], [], 0)[0]:
                data = os.read(self._fw_master, 4096)
                if not data:
                    break
                os.write(self._client_master, data)
        except OSError:
            pass
        os.close(self._fw_master)
        self._fw_master = -1

    def inject(self, gesture: str) -> None:
        """Press the button: 'tap', 'double' or 'hold'."""
        if gesture not in GESTURES:
            raise OntspanError(f"unknown gesture {gesture!r}; allowed: {', '.join(GESTURES)}")
        self._control(gesture)

    def inject_fault(self) -> None:
        """Make the firmware raise inside its loop (sim only): tests its self-recovery."""
        self._control("fault")

    def set_light(self, level: int | None) -> None:
        """The room as the light sensor reads it, 0..65535; None: no sensor fitted."""
        if level is not None and not 0 <= level <= 65535:
            raise OntspanError(f"light level {level} is outside 0..65535")
        self._control(f"light {-1 if level is None else level}")

    def jumps_done(self) -> int:
        """How many jumps the device has finished (kept in the state dir)."""
        try:
            return int((self.state / "jumps").read_text())
        except (OSError, ValueError):
            return 0

    def jump(self, seconds: int, *, wait: bool = True, timeout: float = 120.0) -> None:
        """Let `seconds` of device time pass at once (see hal_sim: time passing,
        not a clock change). With `wait`, return once the device has lived them."""
        if not isinstance(seconds, int) or seconds < 1:
            raise OntspanError(f"a jump is a whole number of seconds >= 1, not {seconds!r}")
        done = self.jumps_done()
        self._control(f"jump {seconds}")
        if wait and poll_until(lambda: self.jumps_done() > done, timeout) is None:
            raise OntspanError(f"the simulated device did not finish a {seconds} s jump "
                               f"within {timeout:g} s")

    def _control(self, line: str) -> None:
        fd = os.open(self.state / "control", os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, line.encode() + b"\n")
        finally:
            os.close(fd)

    def lose_rtc_battery(self) -> None:
        """The clock module's coin cell taken out: next boot it reads as stopped (OSF/VL)."""
        (self.state / "rtc").unlink(missing_ok=True)

    def kill(self) -> None:
        """Cut the power: SIGKILL the firmware (the launcher boots it again)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()

    def stop(self) -> None:
        self._stop.set()
        if self._relay:
            self._relay.join(timeout=2)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for name in ("_fw_master", "_client_master", "_client_slave", "_lock_fd"):
            fd = getattr(self, name, None)
            setattr(self, name, None)
            if fd is not None and fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._lock_fd = None
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self) -> "SimDevice":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def trace_lines(self) -> list[str]:
        if not self.trace_path or not self.trace_path.exists():
            return []
        return self.trace_path.read_text().splitlines()
