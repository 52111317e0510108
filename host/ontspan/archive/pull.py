"""Pull practice logs from a device into the archive: never losing, never duplicating.

Works against any link with `device_id()`, `get_logs(from_seq, max_count)` and
`clear_logs(upto_seq)`; a link that also has `log_state()` (the device's log
epoch, first and last seq, from INFO) and `last_log_epoch` (the epoch of the
last GET_LOGS reply) lets the pull tell a reformatted device from new sessions
(docs/log-format.md, "In the archive").

The whole pull is stored in one transaction, batch by batch while the next
GET_LOGS is on its way; if the device is lost midway, what arrived is stored
before the error goes up, so a repeated pull continues after it. The device is cleared only up to what is committed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..device.client import LOG_BATCH
from ..errors import OntspanError
from ..logformat import SIZE, decode, seq_of, split
from .store import Archive, epoch_name

BATCH = 32  # records asked per GET_LOGS (the link caps it at one frame)
MAX_BATCHES = 100_000  # a device holds at most 16k records; more means a link that never ends


class LogLink(Protocol):
    def device_id(self) -> str: ...

    def get_logs(self, from_seq: int, max_count: int) -> list[bytes]: ...

    def clear_logs(self, upto_seq: int) -> None: ...


@dataclass
class LogState:
    """What the device says about its log: epoch ("" before v2), first and last seq."""

    epoch: str = ""
    first: int = 0
    last: int = 0


@dataclass
class PullResult:
    device_id: str
    new: int = 0
    duplicate: int = 0
    last_seq: int = 0  # highest seq archived in this log after the pull
    cleared_upto: int | None = None
    epoch: str = ""  # the archive's name of the log pulled into
    clashes: int = 0  # records kept aside (`ontspan logs conflicts`)
    notes: list[str] = field(default_factory=list)  # what the pull found, one line each


def _records(batch: bytes | Iterable[bytes]) -> list[bytes]:
    if isinstance(batch, bytes | bytearray | memoryview):
        return list(split(bytes(batch)))
    out: list[bytes] = []
    for item in batch:
        out.extend(split(bytes(item)) if len(item) != SIZE else [bytes(item)])
    return out


def log_state(link: Any) -> LogState:
    get = getattr(link, "log_state", None)
    if not callable(get):
        return LogState()
    st = get()
    return st if isinstance(st, LogState) else LogState(*st)


def _probe(link: Any, seq: int) -> bytes | None:
    # the device's record at seq, if it still holds it
    for r in _records(link.get_logs(seq, 1)):
        if decode(r).seq == seq:
            return r
    return None


def choose_log(link: Any, archive: Archive, dev: str, st: LogState) -> tuple[str, str | None]:
    """(archive epoch to pull into, the line to say or None). A log the archive
    knows continues; a new or replaced one becomes a log of its own."""
    key = archive.epoch_for(dev, st.epoch)
    if key is not None:
        top = archive.last_seq(dev, key)
        if top and st.last and st.last < top:
            why = f"its log went back to seq {st.last} (archived up to {top})"
        elif top and st.first and st.first <= top <= st.last and \
                _probe(link, top) != archive.raw_at(dev, key, top):
            why = f"its record {top} is not the archived one"
        else:
            return key, None
    else:
        prev = archive.latest_epoch(dev)
        if prev is None:
            return archive.fresh_epoch(dev, st.epoch) if st.epoch else "", None
        pkey, preported = prev
        top = archive.last_seq(dev, pkey)
        if preported:
            same = False  # an epoch changes only with a new logbook: trust it
        elif st.first and top and st.first <= top <= st.last:
            # a log from before epochs, now given one by a firmware update?
            same = _probe(link, top) == archive.raw_at(dev, pkey, top)
        else:
            # no overlap to compare: a log from before epochs that the device
            # cleared goes on
            same = not top or st.first > top
        if same:
            return pkey, None  # the same log, now with an epoch
        why = f"new log epoch {epoch_name(st.epoch)} (was {epoch_name(preported)})"
    new = archive.fresh_epoch(dev, st.epoch)
    return new, (f"{dev}: {why}: the device was reformatted or its log replaced; "
                 f"its records are archived as log {new}, next to the earlier ones")


WINDOW = 3  # GET_LOGS requests per round trip


def _batches(link: LogLink, dev: str, epoch: str, nxt: int, batch: int) -> Iterator[list[bytes]]:
    """The device's records from seq `nxt` on, a window of GET_LOGS replies per round
    trip where the link has one (consecutive slices of the log), else one at a time.
    A short reply (the end, or a device answering briefly while a session plays)
    ends the window: the next one starts after what it held, so nothing is skipped;
    a record already passed is dropped."""
    window = getattr(link, "get_logs_window", None)
    n = min(batch, LOG_BATCH)
    for _ in range(MAX_BATCHES):
        if callable(window):
            replies = window(nxt, n, WINDOW)
        else:
            replies = [("", link.get_logs(nxt, n))]
        first = True
        for seen_epoch, raw in replies:
            seen = seen_epoch or getattr(link, "last_log_epoch", None)
            if seen and seen != epoch:
                raise OntspanError(
                    f"device {dev}: its log changed during the pull (epoch "
                    f"{epoch_name(epoch)} -> {epoch_name(seen)}); run it again")
            recs = _records(raw)
            full = len(recs) >= n
            if not recs:
                return
            top = max(seq_of(r) for r in recs)
            if first and top < nxt:
                raise OntspanError(
                    f"device {dev} answered GET_LOGS({nxt}) with older records (seq {top})")
            first = False
            recs = [r for r in recs if seq_of(r) >= nxt]
            if recs:
                yield recs
                nxt = top + 1
            if not full:
                break  # short: ask again from here
    raise OntspanError(f"device {dev} keeps sending logs; stopped after {MAX_BATCHES} batches")


_DONE = object()


def _ahead(items: Iterator[list[bytes]], depth: int = 64) -> Iterator[list[bytes]]:
    """`items` run in a thread of their own, up to `depth` ahead of the consumer: the
    link waits for the device while the caller stores (both release the GIL while
    waiting on the port and on SQLite). An error in the thread comes out here, after
    the items before it; leaving early stops the thread after its current item."""
    q: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(item)
            q.put(_DONE)
        except BaseException as e:  # noqa: BLE001  (handed to the consumer)
            q.put(_Failed(e))

    t = threading.Thread(target=run, name="ontspan-pull", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        while t.is_alive():  # unblock a full queue so the thread can see `stop`
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        t.join()


@dataclass
class _Failed:
    error: BaseException


def pull(
    link: LogLink,
    archive: Archive,
    progress: Callable[[int], object] | None = None,
    *,
    batch: int = BATCH,
    clear: bool = False,
    names: Mapping[int, Mapping[int, str]] | None = None,
) -> PullResult:
    """Fetch every record of the device the archive lacks and store it.

    `progress(n)` is called with the number of records of each batch (tqdm's
    `update` fits). With `clear`, the device forgets what the archive now holds.
    """
    dev = link.device_id()
    st = log_state(link)
    key, note = choose_log(link, archive, dev, st)
    res = PullResult(dev, epoch=key)
    nxt = archive.last_seq(dev, key) + 1
    # storing a batch overlaps the request for the next one (_ahead); what arrived
    # is kept, even when the device went away mid-pull
    with archive.writer(dev, names, epoch=key, reported=st.epoch, note=note) as w:
        for recs in _ahead(_batches(link, dev, st.epoch, nxt, batch)):
            w.add(recs)
            if progress is not None:
                progress(len(recs))
    stored = w.stored
    res.new, res.duplicate, res.clashes = stored.new, stored.duplicate, stored.clashes
    # the line about a new log, also when the pull that found it was cut before saying it
    res.notes.extend(archive.take_notes(dev))
    if res.clashes:
        res.notes.append(f"{dev}: {res.clashes} record(s) clash with archived ones and are "
                         "kept aside: see `ontspan logs conflicts`")
    anchor = getattr(link, "clock_anchor", None)
    if callable(anchor):
        # (boot, uptime_s, wall_s) now: dates sessions of this boot that had no clock
        now = anchor()
        if now:
            boot, uptime_s, wall_s = now
            archive.add_clock_anchor(dev, boot, uptime_s, wall_s, epoch=key)
    res.last_seq = archive.last_seq(dev, key)
    if clear and res.last_seq and not res.clashes:
        link.clear_logs(res.last_seq)
        res.cleared_upto = res.last_seq
    return res
