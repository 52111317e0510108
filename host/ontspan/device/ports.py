"""Find the device's serial port: --port, then ONTSPAN_PORT, then USB auto-detection."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import OntspanError

PICO_VID = 0x2E8A  # Raspberry Pi
PICO_PID = 0x0005  # MicroPython on RP2040
ENV_PORT = "ONTSPAN_PORT"


@dataclass(frozen=True)
class Port:
    device: str  # what to open: /dev/ttyACM0, COM3, /dev/cu.usbmodem1101
    description: str
    vid: int | None
    pid: int | None
    serial_number: str | None

    @property
    def is_pico(self) -> bool:
        return self.vid == PICO_VID and self.pid == PICO_PID

    def label(self) -> str:
        ids = (
            f"{self.vid:04X}:{self.pid:04X}"
            if self.vid is not None and self.pid is not None
            else "-"
        )
        sn = f" serial {self.serial_number}" if self.serial_number else ""
        return f"{self.device}  [{ids}] {self.description}{sn}"


def list_ports() -> list[Port]:
    """USB serial ports, the candidate Picos first."""
    from serial.tools import list_ports as lp

    found = [
        Port(p.device, p.description or "", p.vid, p.pid, p.serial_number)
        for p in lp.comports()
        if p.vid is not None  # built-in UARTs (ttyS*) are never the device
    ]
    return sorted(found, key=lambda p: (not p.is_pico, p.device))


def find_port(port: str | None = None, ports: list[Port] | None = None) -> str:
    """The port to use: `port` if given, else $ONTSPAN_PORT, else the one Pico plugged in."""
    if port:
        return port
    env = os.environ.get(ENV_PORT)
    if env:
        return env
    candidates = [p for p in (list_ports() if ports is None else ports) if p.is_pico]
    if not candidates:
        raise OntspanError(
            "no Ontspan device found (no USB serial port with ID 2E8A:0005): plug it in, "
            f"or name the port with --port or {ENV_PORT}"
        )
    if len(candidates) > 1:
        names = ", ".join(p.device for p in candidates)
        raise OntspanError(f"several Picos found ({names}): choose one with --port or {ENV_PORT}")
    return candidates[0].device
