"""The host's table decoder against the firmware's validator, on the same mutated
tables: both accept or both refuse, and with the same error code.

The firmware side is firmware/table.py under the real MicroPython unix port, kept
running as a filter (tests/mp/validate_serve.py) so thousands of tables cost one
interpreter start. The seeds are good tables (the protocols/ library, the golden
vectors, hand-built ones with repeats and ramps); the mutations change, insert,
delete and cut bytes, write 16-bit fields, and mostly reseal the length field and
CRC so that the deeper checks run."""

import os
import random
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from fwtables import (
    op_breath,
    op_check,
    op_end_repeat,
    op_group,
    op_pmr,
    op_repeat,
    op_rest,
    pmr17,
    program,
    record,
    style,
    table,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ontspan.paths import FIRMWARE_DIR, PROTOCOLS_DIR, micropython_binary
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.decoder import TableError, decode_table
from ontspan.protocols.files import check_paths

TESTS = Path(__file__).resolve().parents[1]
VECTORS = TESTS / "vectors" / "table"
BATCH = int(os.environ.get("ONTSPAN_TABLE_DIFF_CASES", "20000"))


def _seeds() -> list[bytes]:
    protos, diags = check_paths([PROTOCOLS_DIR])
    assert not [d for d in diags if d.severity == "error"], diags
    out = [compile_table(protos), compile_table(protos[:1])]
    out += [p.read_bytes() for p in sorted(VECTORS.glob("*.bin"))]
    out += [p.read_bytes() for p in sorted((VECTORS / "format1").glob("*.bin"))]
    out += [
        table([program(op_pmr(2), op_group(0, 30, 200, 2), op_group(1, 60, 250, 1)),
               program(op_breath(40, 0, 60, 0, 40, 20, 80, 10, ramp_s=60, length=300)),
               program(op_rest(60), op_check(1, 10))],
              ids=[7, 3, 200], styles=[style(), style(cap_day=90, motor=0, pattern=0)],
              style_idx=[0, 1, 0], flags=[1, 2, 0]),
        table([pmr17()]),
        table([program(op_repeat(3), op_breath(40, 10, 60, 10, 30, 20, 80, 0, ramp_s=20, length=40),
                       op_repeat(2), op_check(2, 5), op_rest(10), op_end_repeat(), op_end_repeat(),
                       op_breath(40, 0, 40, 0, length=5, cycles=True))]),
        # close to the 90-minute limit: small changes cross it
        table([program(op_repeat(9), op_rest(590), op_end_repeat(), op_rest(30))]),
        # motor patterns at their limits: 8 segments, 80 ms on, 100 ms gaps, 1500 ms on
        table([program(op_rest(60))], styles=[style(haptic=bytes([1, 1, 2, 3, 1, 2, 0, 3, 1, 2]))],
              patterns=[record((64, 8), (0, 10), (255, 8), (0, 5), (0, 5), (200, 92), (64, 50), (255, 8)),
                        record((255, 150)), record((255, 8), (0, 255), (128, 150))]),
        # a format 1 table with two styles
        table([program(op_rest(60)), program(op_check(1, 10))], version=1, style_idx=[0, 1],
              styles=[style(version=1), style(pattern=0x05, version=1)]),
    ]
    return out


SEEDS = _seeds()
# every seed is good on both sides, or the comparison starts from nothing
assert all(decode_table(s) for s in SEEDS)

# op sizes by opcode, opcode included: read from the format document (an oracle of
# the test's own, to find the ops' argument bytes in a seed)
OP_BYTES = {0x01: 1, 0x10: 2, 0x11: 6, 0x20: 14, 0x30: 3, 0x40: 3, 0x50: 2, 0x51: 1}


def _arg_bytes(t: bytes) -> list[int]:
    """Offsets of every op argument byte in a good table's programs."""
    out = []
    for i in range(t[3]):
        pc = struct.unpack_from("<H", t, 8 + 6 * i + 4)[0]
        while t[pc] != 0x01:
            out += range(pc + 1, pc + OP_BYTES[t[pc]])
            pc += OP_BYTES[t[pc]]
    return out


def _pattern_bytes(t: bytes) -> list[int]:
    """Offsets of every pattern record byte and style pattern slot (format 2)."""
    if t[2] != 2:
        return []
    styles = 8 + 6 * t[3]
    out = [styles + 38 * k + 28 + j for k in range(t[6]) for j in range(10)]
    at = styles + 38 * t[6]
    for _ in range(t[7]):
        out += range(at, at + 1 + 2 * t[at])
        at += 1 + 2 * t[at]
    return out


ARGS = [_arg_bytes(s) + _pattern_bytes(s) for s in SEEDS]


def host_code(data: bytes) -> int:
    """0 if the host decoder accepts the table, else its TableError code."""
    try:
        decode_table(data)
    except TableError as e:
        return e.code
    return 0


class Firmware:
    """firmware/table.py validate() in one long-running MicroPython process."""

    def __init__(self) -> None:
        env = dict(os.environ, MICROPYPATH=f"{TESTS / 'mp'}:{FIRMWARE_DIR}:.frozen")
        self.proc = subprocess.Popen(
            [micropython_binary(), "-X", "heapsize=2M", str(TESTS / "mp" / "validate_serve.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=env, text=True,
        )  # fmt: skip

    def code(self, data: bytes) -> int:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(data.hex() + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            rest = self.proc.stdout.read() if self.proc.poll() is not None else ""
            pytest.fail(f"the firmware validator died on {data.hex()}:\n{line}{rest}")
        return int(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def firmware_codes(tables: list[bytes]) -> list[int]:
    """validate() of each table, all in one interpreter run."""
    env = dict(os.environ, MICROPYPATH=f"{TESTS / 'mp'}:{FIRMWARE_DIR}:.frozen")
    proc = subprocess.run(
        [micropython_binary(), "-X", "heapsize=2M", str(TESTS / "mp" / "validate_serve.py")],
        input="".join(t.hex() + "\n" for t in tables), capture_output=True, text=True,
        env=env, timeout=600,
    )  # fmt: skip
    lines = proc.stdout.split()
    assert proc.returncode == 0 and len(lines) == len(tables), proc.stdout[-2000:] + proc.stderr
    return [int(x) for x in lines]


@pytest.fixture(scope="module")
def firmware():
    fw = Firmware()
    yield fw
    fw.close()


# --- mutations -------------------------------------------------------------------------


def reseal(b: bytearray, length: bool = True) -> bytes:
    """The length field and CRC made right again, so that the checks behind them run."""
    if len(b) < 8:
        return bytes(b)
    if length:
        struct.pack_into("<H", b, 4, len(b) & 0xFFFF)
    if len(b) >= 12:
        struct.pack_into("<I", b, len(b) - 4, zlib.crc32(bytes(b[:-4])))
    return bytes(b)


# values either side of the format's limits (docs/table-format.md), where an
# off-by-one in one validator would show
EDGE_U8 = (0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 19, 20, 21, 32, 33, 49, 50, 51, 63, 64, 65, 100, 101,
           119, 120, 121, 128, 129, 149, 150, 151, 199, 200, 201, 254, 255)
EDGE_U16 = (0, 1, 9, 10, 11, 49, 50, 51, 599, 600, 601, 1199, 1200, 1201, 1799, 1800, 1801,
            3599, 3600, 3601, 8192, 65535)


def mutate(rng: random.Random) -> bytes:
    k = rng.randrange(len(SEEDS))
    b = bytearray(SEEDS[k])
    if rng.random() < 0.3:  # one op argument set to a value beside a limit
        at = rng.choice(ARGS[k])
        if rng.random() < 0.3 and at + 1 in ARGS[k]:
            struct.pack_into("<H", b, at, rng.choice(EDGE_U16))
        else:
            b[at] = rng.choice(EDGE_U8)
        return reseal(b)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if not b:
            break
        body = max(1, len(b) - 4)
        at = rng.randrange(body)
        r = rng.random()
        if r < 0.45:
            b[at] = rng.choice((rng.randrange(256), rng.choice(EDGE_U8), b[at] + 1 & 255, b[at] - 1 & 255))
        elif r < 0.6:
            b[at] ^= 1 << rng.randrange(8)
        elif r < 0.7 and at + 2 <= body:
            struct.pack_into("<H", b, at, rng.choice((rng.randrange(65536), rng.choice(EDGE_U16))))
        elif r < 0.8:
            b[at:at] = bytes([rng.randrange(256)])
        elif r < 0.9:
            del b[at]
        else:
            b = b[: rng.randrange(len(b) + 1)]
    r = rng.random()
    if r < 0.85:
        return reseal(b)
    if r < 0.95:
        return reseal(b, length=False)
    return bytes(b)  # CRC left stale


@st.composite
def mutated_tables(draw: st.DrawFn) -> bytes:
    k = draw(st.integers(0, len(SEEDS) - 1))
    b = bytearray(SEEDS[k])
    if draw(st.booleans()):  # op arguments, the deepest checks
        for at in draw(st.lists(st.sampled_from(ARGS[k]), min_size=1, max_size=2)):
            b[at] = draw(st.sampled_from(EDGE_U8) | st.integers(0, 255))
        return reseal(b)
    for _ in range(draw(st.integers(1, 3))):
        if not b:
            break
        body = max(1, len(b) - 4)
        at = draw(st.integers(0, body - 1))
        op = draw(st.sampled_from(("set", "u16", "insert", "delete", "cut")))
        if op == "set":
            b[at] = draw(st.integers(0, 255) | st.sampled_from(EDGE_U8))
        elif op == "u16" and at + 2 <= body:
            struct.pack_into("<H", b, at, draw(st.integers(0, 65535) | st.sampled_from(EDGE_U16)))
        elif op == "insert":
            b[at:at] = draw(st.binary(min_size=1, max_size=14))
        elif op == "delete":
            del b[at : at + draw(st.integers(1, 14))]
        elif op == "cut":
            b = b[:at]
    how = draw(st.sampled_from(("reseal", "reseal", "reseal", "crc only", "stale")))
    if how == "stale":
        return bytes(b)
    return reseal(b, length=how == "reseal")


# --- the comparisons -------------------------------------------------------------------


def test_host_and_firmware_agree_on_thousands_of_mutated_tables():
    rng = random.Random(20261201)
    tables = [mutate(rng) for _ in range(BATCH)]
    fw = firmware_codes(tables + SEEDS)
    host = [host_code(t) for t in tables + SEEDS]
    differ = [(t.hex(), h, f) for t, h, f in zip(tables + SEEDS, host, fw, strict=True) if h != f]
    assert not differ, f"{len(differ)} tables judged differently (hex, host, firmware): {differ[:5]}"
    assert fw[BATCH:] == [0] * len(SEEDS)
    # the mutations reach every layer of checks, and many stay playable
    counts = [host.count(code) for code in range(10)]
    assert all(counts), f"cases per code 0..9: {counts}"
    assert counts[0] >= BATCH // 50, counts


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_tables())
def test_host_and_firmware_agree_on_a_mutated_table(firmware, data: bytes) -> None:
    assert host_code(data) == firmware.code(data), data.hex()

