"""The one device lock, and the actions that take a while (load, pull, install) run
beside the page so it can show their progress.

Two tabs that act on the device at once get one action and one "the device is
busy"; the status line never opens the port while an action holds it. A device
lost mid-action becomes one line that says what happened to the data, the same
guarantees as the CLI: a table is whole or not there, an archived record is kept.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..device.live import Live, look
from ..errors import DeviceLost, OntspanError

log = logging.getLogger(__name__)
T = TypeVar("T")
LOOK_WAIT_S = 10.0  # an action waits this long at most for a status look to let go

# what a lost device means for each action, and for a load by stage
LOST = {
    "flash": "lost the device during flash; nothing was changed; plug it in and try again",
    "plan": "lost the device while storing the plan; the protocols are on it, the plan is "
            "not; plug it in and load again",
    "pull": "lost the device during pull; every record pulled so far is in the archive; "
            "plug it in and pull again",
    "install": "lost the device during install; plug it in and install again (that repairs "
               "an interrupted install)",
}


class Busy(OntspanError):
    """The device is in use by another action (another tab)."""


@dataclass
class Job:
    id: str
    what: str  # flash, pull, install: the name the lost line uses
    stage: str = ""
    done: int = 0
    total: int = 0
    finished: bool = False
    ok: bool = False
    message: str = ""
    result: Any = None
    notes: list[str] = field(default_factory=list)

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0


class Desk:
    def __init__(self, device_port: str | None):
        self.device_port = device_port
        self._lock = threading.Lock()  # the serial port: an action or a look holds it
        self._claim = threading.Lock()  # guards `doing`
        self._ids = itertools.count(1)
        self.jobs: dict[str, Job] = {}
        self.current: Job | None = None
        self.doing = ""  # what holds the lock now, for "the device is busy (...)"

    def _take(self, what: str) -> None:
        """Claim the device for `what`: refused at once while another action has it;
        a status look that has the port is waited for (it takes a moment)."""
        with self._claim:
            if self.doing:
                raise Busy(f"the device is busy ({self.doing}); try again when that is done")
            self.doing = what
        if not self._lock.acquire(timeout=LOOK_WAIT_S):
            self.doing = ""
            raise Busy("the device is busy (it does not answer); try again")

    def _give(self) -> None:
        self.doing = ""
        self._lock.release()

    def now(self, what: str, fn: Callable[[], T]) -> T:
        """Run a short device action under the lock (clock, settings, feel)."""
        self._take(what)
        try:
            return fn()
        except DeviceLost as e:
            raise OntspanError(LOST.get(what, f"lost the device during {what}; nothing was "
                                              "changed; plug it in and try again")) from e
        finally:
            self._give()

    def start(self, what: str, fn: Callable[[Job], Any]) -> Job:
        """Run a long action in the background under the lock; Busy if one runs."""
        self._take(what)
        job = Job(str(next(self._ids)), what, stage=what)
        self.jobs[job.id] = job
        self.current = job
        threading.Thread(target=self._run, args=(job, fn), name=f"ontspan-{what}",
                         daemon=True).start()
        return job

    def _run(self, job: Job, fn: Callable[[Job], Any]) -> None:
        try:
            job.result = fn(job)
            job.ok = True
        except DeviceLost:
            job.message = LOST.get(job.stage, LOST.get(job.what, f"lost the device during {job.what}"))
        except OntspanError as e:
            job.message = str(e)
        except Exception as e:  # the page must always learn how it ended
            log.exception("%s failed", job.what)
            job.message = f"{job.what} failed: {e}"
        finally:
            job.finished = True
            self.current = None
            self._give()

    def look(self) -> Live | None:
        """The device's state now, or None while an action holds it."""
        with self._claim:
            if self.doing or not self._lock.acquire(blocking=False):
                return None
        try:
            return look(self.device_port)
        finally:
            self._lock.release()
