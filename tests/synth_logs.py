"""Synthetic practice logs for host tests: what a device would have written."""

from __future__ import annotations

import datetime as dt

from ontspan.logformat import NOT_RATED, Outcome, Record, RecordType, encode, end_of

SYNTH_TABLE_CRC = 0x5EED5EED


def session(seq: int, when: dt.datetime | None, before: int = NOT_RATED, after: int = NOT_RATED,
            protocol: int = 1, outcome: Outcome = Outcome.COMPLETED, boot: int = 1,
            uptime_s: int = 0, planned_s: int = 900, actual_s: int | None = None,
            ) -> list[Record]:
    """START (seq) and END (seq + 1) of one session."""
    wall = int(when.timestamp()) if when else 0
    start = Record(RecordType.START, seq, boot, uptime_s, wall, protocol, SYNTH_TABLE_CRC, planned_s,
                   0, 0, 0, Outcome.NONE, before, NOT_RATED)
    done = planned_s if actual_s is None else actual_s
    return [start, end_of(start, done, 3, 17, outcome, after)]


def raw(records: list[Record]) -> list[bytes]:
    return [encode(r) for r in records]


class FakeLink:
    """A device's logbook seen through the link: resumable GET_LOGS, CLEAR_LOGS."""

    def __init__(self, device: str, records: list[Record], fail_after: int | None = None,
                 epoch: str | None = "5eed0001"):
        self.dev = device
        self.records = {r.seq: encode(r) for r in records}
        self.cleared = 0
        self.calls = 0
        self.fail_after = fail_after
        self.epoch = epoch  # None: a link of firmware before epochs (no log_state)
        self.last_log_epoch: str | None = None

    def wipe(self, epoch: str | None, records: list[Record]) -> None:
        """The flash reformatted: a new logbook (new epoch) with seqs from 1."""
        self.epoch = epoch
        self.records = {r.seq: encode(r) for r in records}
        self.cleared = 0

    def log_state(self) -> tuple[str, int, int]:
        held = [s for s in self.records if s > self.cleared]
        return (self.epoch or "", min(held, default=0), max(held, default=0))

    def device_id(self) -> str:
        return self.dev

    def get_logs(self, from_seq: int, max_count: int) -> list[bytes]:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise ConnectionError("cable pulled")
        seqs = sorted(s for s in self.records if s >= from_seq and s > self.cleared)
        if self.epoch is not None:
            self.last_log_epoch = self.epoch
        return [self.records[s] for s in seqs[:max_count]]

    def clear_logs(self, upto_seq: int) -> None:
        self.cleared = max(self.cleared, upto_seq)
