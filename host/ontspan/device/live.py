"""What the device is doing right now, in one look, and the summary `info` prints.

The app's status line asks `look()` about once a second: plugged in or not, at the
REPL, idle, playing, waiting for a rating. Every answer is a state, never an
exception, so a device pulled out between two looks is just "not connected".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import OntspanError
from ..shared import C
from .client import Link
from .names import device_id_of, load_names, named, names_for, protocol_ids, table_crc_of
from .ports import find_port
from .replies import firmware_is_older

LOOK_RETRIES = 1  # a look must be quick: one HELLO retry, then "not answering"


@dataclass(frozen=True)
class Live:
    connected: bool
    port: str = ""
    problem: str = ""  # why the device cannot be used now (no device, REPL, old link)
    state: str = ""  # idle, playing, paused, rating, reminder
    firmware: str = ""
    firmware_older: bool = False
    device_id: str = ""
    protocol: dict[str, Any] | None = None
    elapsed_s: int = 0
    remaining_s: int = 0
    flags: int = 0
    protocols: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def in_session(self) -> bool:
        """A session is playing, paused or waiting for its rating: hands off the device."""
        return self.state in ("playing", "paused", "rating")

    @property
    def clock_set(self) -> bool:
        return bool(self.flags & C.FLAG_CLOCK)


def look(port: str | None = None) -> Live:
    """The device's state now; never raises for a missing or silent device."""
    try:
        where = find_port(port)
    except OntspanError as e:
        return Live(False, problem=str(e))
    try:
        lk = Link(where)
    except OntspanError as e:  # the port is not there (any more)
        return Live(False, problem=str(e))
    try:
        with lk:
            h = lk.hello(retries=LOOK_RETRIES)
            st = lk.status()
            info = lk.info()
            config = lk.get_config()
    except OntspanError as e:
        return Live(False, where, problem=str(e))
    names = names_for(info)
    return Live(
        True, where, state=st.state_name, firmware=h.firmware,
        firmware_older=firmware_is_older(h), device_id=device_id_of(info),
        protocol=named(st.protocol, names) if st.protocol else None,
        elapsed_s=st.elapsed_s, remaining_s=st.remaining_s, flags=st.flags,
        protocols=[named(i, names) for i in protocol_ids(info)], config=config,
    )  # fmt: skip


def open_link(port: str | None = None, trace: bool = False) -> Link:
    """An open link to a device that answered HELLO with a compatible link version
    (`lk.device` is its HELLO)."""
    lk = Link(find_port(port), trace=trace)
    try:
        lk.hello()
    except BaseException:
        lk.close()
        raise
    return lk


def refuse_in_session(lk: Link, what: str) -> None:
    """OntspanError when a session is playing, paused or waiting for a rating."""
    st = lk.status()
    if st.in_session:
        raise OntspanError(
            f"{what} refused: a session is {st.state_name} on the device; "
            "let it end or stop it first (`ontspan stop`)"
        )


def summary(lk: Link) -> dict[str, Any]:
    """What `info --json` prints: HELLO, INFO and the names known for its table."""
    assert lk.device is not None
    h = lk.device
    info = lk.info()
    dev_id = device_id_of(info)
    crc = table_crc_of(info)
    names = load_names(dev_id, crc)
    protos = [named(i, names) for i in protocol_ids(info)]
    return {
        "port": lk.port,
        "device_id": dev_id,
        "firmware": h.firmware,
        "link_version": f"{h.link_major}.{h.link_minor}",
        "table_format": h.table_version,
        "table": {"crc": crc, "size": info["table"]["size"], "names_known": bool(names)},
        "protocols": protos,
        "device": info,
    }
