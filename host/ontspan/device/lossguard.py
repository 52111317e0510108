"""The one place where a vanished or stalled device becomes DeviceLost.

pyserial fails in many ways when the port goes away mid-command:
SerialException ("device reports readiness to read but returned no data"),
SerialTimeoutException, raw OSError such as EIO (even from its `in_waiting`
property and from open()), and termios errors. The link wraps its port in
LossGuard, so all of them reach the CLI as one DeviceLost, which prints
`ontspan: lost the device during <command> (...); run it again to continue`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..errors import DeviceLost


def port_errors() -> tuple[type[BaseException], ...]:
    """What a serial port raises when the device is gone (pyserial's errors are OSErrors)."""
    # termios.error is no OSError; pyserial's POSIX backend has loaded termios by the
    # time a port is open, and on Windows there is none: nothing here imports it
    termios = sys.modules.get("termios")
    return (OSError, termios.error) if termios else (OSError,)


class LossGuard:
    """A serial port whose failures are DeviceLost."""

    def __init__(self, ser: Any):
        self.inner = ser
        self.port = getattr(ser, "port", None)
        self._errors = port_errors()

    def _call(self, what: str, fn: Callable[..., Any], *a: Any) -> Any:
        try:
            return fn(*a)
        except self._errors as e:
            raise DeviceLost(f"{what} failed: {e}") from e

    @property
    def timeout(self) -> float | None:
        return getattr(self.inner, "timeout", None)

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._call("setup", setattr, self.inner, "timeout", value)

    @property
    def in_waiting(self) -> int | None:
        # pyserial's in_waiting is a property that itself fails when the port is gone
        n = self._call("read", lambda: getattr(self.inner, "in_waiting", None))
        return None if n is None else int(n)

    def write(self, data: bytes, /) -> int | None:
        return self._call("write", self.inner.write, data)  # type: ignore[no-any-return]

    def read(self, size: int = 1, /) -> bytes:
        return self._call("read", self.inner.read, size)  # type: ignore[no-any-return]

    def reset_input_buffer(self) -> None:
        self._call("reset", self.inner.reset_input_buffer)

    def close(self) -> None:
        try:
            self.inner.close()
        except self._errors:
            pass  # closing a port that is gone
