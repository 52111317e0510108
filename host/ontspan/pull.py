"""Pull practice logs from a device into the archive: resumable, never duplicating.

Works against any link with `device_id()`, `get_logs(from_seq, max_count)` and
`clear_logs(upto_seq)`. Each batch is committed before the next is asked for,
so an interrupted pull keeps what it got and the next one continues after the
last archived seq. The device is cleared only up to what is committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from .archive import Archive
from .errors import OntspanError
from .logformat import SIZE, decode, split

BATCH = 32  # records per GET_LOGS: 1 KB of payload
MAX_BATCHES = 100_000  # a device holds ~1.5k records; more means a link that never ends


class LogLink(Protocol):
    def device_id(self) -> str: ...

    def get_logs(self, from_seq: int, max_count: int) -> list[bytes]: ...

    def clear_logs(self, upto_seq: int) -> None: ...


@dataclass
class PullResult:
    device_id: str
    new: int = 0
    duplicate: int = 0
    last_seq: int = 0  # highest seq archived for the device after the pull
    cleared_upto: int | None = None


def _records(batch: bytes | Iterable[bytes]) -> list[bytes]:
    if isinstance(batch, bytes | bytearray | memoryview):
        return list(split(bytes(batch)))
    out: list[bytes] = []
    for item in batch:
        out.extend(split(bytes(item)) if len(item) != SIZE else [bytes(item)])
    return out


def pull(
    link: LogLink,
    archive: Archive,
    progress: Callable[[int], object] | None = None,
    *,
    batch: int = BATCH,
    clear: bool = False,
    names: Mapping[int, Mapping[int, str]] | None = None,
) -> PullResult:
    """Fetch every record after the archive's last seq for this device and store it.

    `progress(n)` is called with the number of records of each batch (tqdm's
    `update` fits). With `clear`, the device forgets what the archive now holds.
    """
    dev = link.device_id()
    res = PullResult(dev)
    nxt = archive.last_seq(dev) + 1
    for _ in range(MAX_BATCHES):
        recs = _records(link.get_logs(nxt, batch))
        if not recs:
            break
        top = max(decode(r).seq for r in recs)
        if top < nxt:
            raise OntspanError(
                f"device {dev} answered GET_LOGS({nxt}) with older records (seq {top})"
            )
        new, dup = archive.store(dev, recs, names)
        res.new += new
        res.duplicate += dup
        if progress is not None:
            progress(len(recs))
        nxt = top + 1
    else:
        raise OntspanError(f"device {dev} keeps sending logs; stopped after {MAX_BATCHES} batches")
    anchor = getattr(link, "clock_anchor", None)
    if callable(anchor):
        # (boot, uptime_s, wall_s) now: dates sessions of this boot that had no clock
        got = anchor()
        if got:
            archive.add_clock_anchor(dev, *got)
    res.last_seq = archive.last_seq(dev)
    if clear and res.last_seq:
        link.clear_logs(res.last_seq)
        res.cleared_upto = res.last_seq
    return res
