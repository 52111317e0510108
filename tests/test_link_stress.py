"""The link under a storm of noise while a session plays at 1x on the simulated
device (real firmware, MicroPython, a pty): random bytes, REPL-like text, frames
cut off or corrupted, stale frames, all interleaved with valid requests (INFO,
STATUS, ECHO) sent through the real host `Link`.

- every request is answered on its first try (the Link never has to resend) and
  with the right content;
- the session keeps playing, and its cue edges come in the protocol's order, none
  of them early by the trace's own clock.

How late the cues come while the link is flooded is a figure, not a test: it
depends on the machine and its load, so it is measured by `python -m bench link`
(the flood metrics). Here the run is counted in requests and cue edges, never in
seconds: it goes on until both counts are reached, however slow the machine is,
and the Link waits 30 times its usual timeout before it would resend.

The noise never holds 0x03: Ctrl-C on the device's serial port is the keyboard
interrupt, which by design gives the REPL (docs/link.md).
"""

from __future__ import annotations

import os
import random
import time

import pytest
from conftest import hello_or_none, wait_for
from ontspan.device.client import Link, open_serial
from ontspan.device.codec import Cmd, encode_frame
from ontspan.errors import OntspanError
from ontspan.firmware.ticks import ticks_diff
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.decoder import decode_table
from ontspan.protocols.parser import parse_protocol
from ontspan.protocols.timeline import edges

REQUESTS = int(os.environ.get("ONTSPAN_LINK_STRESS_REQUESTS", "60"))
EDGES = 10  # cue edges the device must play while the noise goes on
GIVE_UP_S = 180  # bounds the wait on a device that stopped playing; never judges speed
SLOW_CLOCK = 30  # the Link's clock runs this many times slower: no resend on a busy host
SEED = 4242

# edges every 0.2 to 1 s: in 1, hold 0.2, out 1, pause 0.2
PROTOCOL = """
id = 7
name = "druk"
title = "Druk op de lijn"
[[block]]
type = "breath"
in_s = 1
hold_s = 0.2
out_s = 1
pause_s = 0.2
seconds = 900
[[block]]
type = "rest"
seconds = 10
"""

REPL_TEXT = [
    b"import machine\r\n",
    b">>> ",
    b"print('hallo')\r\nhallo\r\n>>> ",
    b"\x01",  # Ctrl-A: raw REPL
    b"raw REPL; CTRL-B to exit\r\n>",
    b"\x02",  # Ctrl-B
    b"\x05paste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ",
    b"\x04",  # Ctrl-D
    b"Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\nNameError: x\r\n",
    b"MicroPython v1.24.0 on 2024-10-25; Raspberry Pi Pico with RP2040\r\n",
    b"\x1b[A\x1b[B\x1b[2K",
    b"\r\n" * 20,
]


class CountingSerial:
    """The real serial port, counting the frames the Link writes (resends included)."""

    def __init__(self, ser):
        self.raw = ser
        self.port = ser.port
        self.frames = 0

    def write(self, data: bytes, /) -> int | None:
        self.frames += 1
        return self.raw.write(data)

    def read(self, size: int = 1, /) -> bytes:
        return self.raw.read(size)

    def reset_input_buffer(self) -> None:
        self.raw.reset_input_buffer()

    def close(self) -> None:
        self.raw.close()


def noise(rng: random.Random) -> bytes:
    """One burst of line noise, never containing Ctrl-C."""
    kind = rng.random()
    if kind < 0.4:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    elif kind < 0.7:
        data = b"".join(rng.choice(REPL_TEXT) for _ in range(rng.randint(1, 4)))
    elif kind < 0.8:
        # a frame cut off: SOF and part of a valid frame, never ended
        f = encode_frame(0, Cmd.ECHO, 0, bytes(rng.randrange(256) for _ in range(40)))
        data = f[: rng.randint(1, len(f) - 1)]
    elif kind < 0.9:
        # a whole frame with one byte changed (id 0: the host never uses it)
        f = bytearray(encode_frame(0, Cmd.STATUS))
        i = rng.randint(1, len(f) - 2)
        f[i] = rng.randrange(8, 256)
        data = bytes(f)
    else:
        # a valid request the host is not waiting for (id 0)
        data = encode_frame(0, rng.choice([Cmd.STATUS, Cmd.ECHO]), 0, b"stale")
    return data.replace(b"\x03", b"\x13")


def edge_lines(dev) -> list[tuple[int, int, int, int, int]]:
    out = []
    for line in dev.trace_lines():
        if line.startswith("E "):
            _, t, kind, block, group, late = line.split()
            out.append((int(t), int(kind), int(block), int(group), int(late)))
    return out


def test_noise_between_requests_never_costs_an_answer_or_a_cue(make_sim):
    proto, diags = parse_protocol(PROTOCOL)
    assert proto is not None, diags
    table = compile_table([proto])
    want = edges(decode_table(table).program(proto.id))

    dev = make_sim("stress", speed=1)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)  # after the boot animation
    ser = CountingSerial(open_serial(dev.port))
    link = Link(ser, clock=lambda: time.monotonic() / SLOW_CLOCK)
    rng = random.Random(SEED)
    try:
        link.hello()
        link.put_table(table)
        edges_before = len(edge_lines(dev))
        link.start(proto.id)
        wait_for(lambda: len(edge_lines(dev)) > edges_before)  # the first cue
        sent = {"INFO": 0, "STATUS": 0, "ECHO": 0}
        noise_bytes = 0
        frames0 = ser.frames
        give_up = time.monotonic() + GIVE_UP_S
        while sum(sent.values()) < REQUESTS or len(edge_lines(dev)) - edges_before < EDGES:
            if time.monotonic() > give_up:
                pytest.fail(f"{GIVE_UP_S} s and only {sent} requests, "
                            f"{len(edge_lines(dev)) - edges_before} cue edges")
            if rng.random() < 0.6:
                burst = noise(rng)
                noise_bytes += len(burst)
                ser.raw.write(burst)
                continue
            which = rng.choice(list(sent))
            if which == "INFO":
                info = link.info()
                assert info["device_id"] == dev.device_id and info["table"]["crc"]
            elif which == "STATUS":
                st = link.status()
                assert (st.state, st.protocol) == (1, proto.id), st  # still playing
            else:
                data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
                assert link.echo(data) == data
            sent[which] += 1
        requests = sum(sent.values())
        resends = ser.frames - frames0 - requests
        st = link.status()
        info = link.info()
    finally:
        link.close()

    assert min(sent.values()) > 0 and noise_bytes >= 5_000, (sent, noise_bytes)
    assert resends == 0, f"{resends} of {requests} requests needed a resend"
    assert (st.state, st.protocol) == (1, proto.id)
    assert info["link"]["bad"] > 0 and info["link"]["noise"] > 0  # the noise arrived

    got = edge_lines(dev)[edges_before:]
    assert len(got) >= EDGES, got
    assert [g[1:4] for g in got] == [tuple(e[1:]) for e in want[: len(got)]]
    # never early, and the late values are honest: the trace's own clock puts each
    # edge no earlier than its rule time plus the lateness the engine reported
    t0 = got[0][0] - got[0][4]
    for (t, _, _, _, late), e in zip(got, want, strict=False):
        assert ticks_diff(t, t0) - e.t_ms >= late - 1, (t, t0, e, late)


@pytest.mark.parametrize("noise_cmd", [Cmd.STATUS, Cmd.INFO], ids=["status", "info"])
def test_an_error_reply_to_noise_with_the_next_id_is_not_taken_for_the_answer(make_sim, noise_cmd):
    """Line noise can form a broken frame that carries the id the host uses next; the
    device answers it (ERR_CRC, same id). That answer is not the reply to the request."""
    dev = make_sim("noise-id", speed=1)
    link = Link(dev.port)
    try:
        wait_for(lambda: _answers_hello(link), timeout=60)
        nxt = link._id % 255 + 1  # the id of the next request
        f = bytearray(encode_frame(nxt, noise_cmd))
        f[-2] = 0x08 if f[-2] != 0x08 else 0x09  # last literal of the CRC: broken, same id
        link.ser.write(bytes(f))
        # its answer is waiting before the request goes out (the device answers in order)
        wait_for(lambda: link.ser.in_waiting > 0)
        assert link.info()["device_id"] == dev.device_id
    finally:
        link.close()


def _answers_hello(link: Link) -> bool:
    try:
        link.hello(retries=0)
        return True
    except OntspanError:
        return False
