"""Table compiler, host decoder and timeline: golden vectors, round trips, every error code."""

import json
import os
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ontspan.protocols.compiler import CompileError, compile_table, table_crc, table_names
from ontspan.protocols.decoder import (
    E_CRC,
    E_DIRECTORY,
    E_DURATION,
    E_LENGTH,
    E_LIMIT,
    E_MAGIC,
    E_OPCODE,
    E_STRUCTURE,
    E_VERSION,
    ERROR_NAMES,
    TableError,
    decode_table,
)
from ontspan.protocols.haptics import BUILTIN, KINDS
from ontspan.protocols.model import (
    BreathBlock,
    CheckBlock,
    Group,
    PmrBlock,
    Protocol,
    RepeatBlock,
    RestBlock,
    Style,
)
from ontspan.protocols.ops import encode_ops, protocol_ops
from ontspan.protocols.parser import load_protocol, parse_protocol
from ontspan.protocols.timeline import END, HOLD, IN, OUT, PAUSE, duration_ms, edges

TABLE_VECTORS = Path(__file__).parent / "vectors" / "table"
REGEN = os.environ.get("ONTSPAN_REGEN_VECTORS") == "1"


def _load(path: Path) -> Protocol:
    proto, diags = load_protocol(path)
    assert proto is not None, [str(d) for d in diags]
    return proto


def _vector_protocols() -> list[Protocol]:
    return [_load(p) for p in sorted(TABLE_VECTORS.glob("v*.toml"))]


def _edges_doc(proto: Protocol) -> dict:
    return {
        "id": proto.id,
        "duration_ms": duration_ms(proto),
        "edges": [list(e) for e in edges(proto)],
    }


def _dump_edges(doc: dict) -> str:
    """One edge per line, so a diff shows which cue moved."""
    rows = ",\n".join(f"  {json.dumps(e)}" for e in doc["edges"])
    return (
        f'{{\n "id": {doc["id"]},\n "duration_ms": {doc["duration_ms"]},\n'
        f' "edges": [\n{rows}\n ]\n}}\n'
    )


def _reseal(body: bytes | bytearray) -> bytes:
    """Fix the length field and CRC after a deliberate corruption."""
    body = bytearray(body[:-4])
    struct.pack_into("<H", body, 4, len(body) + 4)
    return bytes(body) + struct.pack("<I", zlib.crc32(body))


def _pool(t: bytes) -> int:
    """Offset of the first motor pattern record of a format 2 table."""
    return 8 + 6 * t[3] + 38 * t[6]


def _programs(t: bytes) -> int:
    """Offset of the first program byte: after the pattern records."""
    at = _pool(t)
    for _ in range(t[7]):
        at += 1 + 2 * t[at]
    return at


def _bad_tables() -> dict[str, tuple[int, bytes]]:
    """One fault per table, each refused with one documented code."""
    good = compile_table(_vector_protocols())
    n, s = good[3], good[6]
    prog = _programs(good)  # first program: v1-pmr, PMR op first
    bad: dict[str, tuple[int, bytes]] = {}
    bad["short"] = (E_LENGTH, good[:15])
    bad["length-field"] = (E_LENGTH, good[:4] + struct.pack("<H", len(good) + 1) + good[6:])
    bad["magic"] = (E_MAGIC, b"OX" + good[2:])
    bad["version"] = (E_VERSION, good[:2] + b"\x03" + good[3:])
    flipped = bytearray(good)
    flipped[prog + 3] ^= 0x01
    bad["crc"] = (E_CRC, bytes(flipped))
    t = bytearray(good)
    t[8 + 6] = t[8]  # second directory entry gets the first one's id
    bad["duplicate-id"] = (E_DIRECTORY, _reseal(t))
    t = bytearray(good)
    struct.pack_into("<H", t, 8 + 4, len(good) - 4)  # offset at the CRC
    bad["offset"] = (E_DIRECTORY, _reseal(t))
    t = bytearray(good)
    t[8 + 1] = s  # style index == S
    bad["style-index"] = (E_DIRECTORY, _reseal(t))
    t = bytearray(good)
    t[prog] = 0xFF
    bad["opcode-ff"] = (E_OPCODE, _reseal(t))
    t = bytearray(good)
    t[prog] = 0x00
    bad["opcode-00"] = (E_OPCODE, _reseal(t))
    t = bytearray(good)
    t[prog + 1] = 3  # PMR says 3 groups, 2 follow
    bad["pmr-count"] = (E_STRUCTURE, _reseal(t))
    t = bytearray(good)
    t[prog + 1] = 0
    bad["pmr-zero"] = (E_STRUCTURE, _reseal(t))
    t = bytearray(good)
    t[prog + 2 + 2] = 101  # first GROUP tense_ds
    bad["tense"] = (E_LIMIT, _reseal(t))
    t = bytearray(good)
    t[prog + 2 + 1] = 255  # group number 255
    bad["group-255"] = (E_LIMIT, _reseal(t))
    rest = Protocol(id=5, name="lang", title="lang", blocks=(RepeatBlock(2, (RestBlock(3600),)),))
    bad["duration"] = (E_DURATION, compile_table([rest]))
    rep = Protocol(id=5, name="r", title="r", blocks=(RepeatBlock(2, (RestBlock(10),)),))
    t = bytearray(compile_table([rep]))
    t[_programs(t) + 1] = 1  # REPEAT count 1
    bad["repeat-count"] = (E_STRUCTURE, _reseal(t))
    one = compile_table([Protocol(id=5, name="r", title="r", blocks=(RestBlock(10),))])
    bad["no-end"] = (E_OPCODE, _reseal(one[:-5] + one[-4:]))  # END dropped
    # motor patterns (format 2): the first record is v4-haptic's tense ("zacht": 5 segments)
    pool = _pool(good)
    t = bytearray(good)
    t[7] = 200  # more pattern records than the table holds
    bad["pattern-count"] = (E_DIRECTORY, _reseal(t))
    t = bytearray(good)
    t[pool] = 9  # nine segments
    bad["pattern-segments"] = (E_DIRECTORY, _reseal(t))
    t = bytearray(good)
    t[pool + 4] = 9  # tense's first gap 90 ms
    bad["pattern-gap"] = (E_LIMIT, _reseal(t))
    t = bytearray(good)
    t[pool + 2] = 7  # tense's first pulse 70 ms
    bad["pattern-short"] = (E_LIMIT, _reseal(t))
    t = bytearray(good)
    t[pool + 1] = 63  # tense's first level below 64
    bad["pattern-level"] = (E_LIMIT, _reseal(t))
    t = bytearray(good)
    t[pool + 10] = 151  # tense's last pulse 1510 ms: longer than the motor is on at a time
    bad["pattern-on"] = (E_LIMIT, _reseal(t))
    t = bytearray(good)
    t[8 + 6 * n + 28 + 1] = good[7] + 1  # first style's tense: a pattern number past P
    bad["pattern-number"] = (E_LIMIT, _reseal(t))
    t = bytearray(good)
    t[8 + 6 * n + 27] = 1  # first style's reserved byte
    bad["style-reserved"] = (E_LIMIT, _reseal(t))
    return bad


def test_vectors_are_pinned() -> None:
    protos = _vector_protocols()
    assert len(protos) == 4
    files: dict[str, bytes] = {}
    for p in protos:
        files[f"{p.name}.bin"] = compile_table([p])
        files[f"{p.name}.edges.json"] = _dump_edges(_edges_doc(p)).encode()
    files["all.bin"] = compile_table(protos)
    files["all.names.json"] = (
        json.dumps(table_names(protos), indent=1, ensure_ascii=False) + "\n"
    ).encode()
    expected_codes = {}
    for name, (code, data) in _bad_tables().items():
        files[f"bad/{name}.bin"] = data
        expected_codes[f"{name}.bin"] = ERROR_NAMES[code]
    files["bad/expected.json"] = (json.dumps(expected_codes, indent=1) + "\n").encode()
    if REGEN:
        (TABLE_VECTORS / "bad").mkdir(exist_ok=True)
        for name, data in files.items():
            (TABLE_VECTORS / name).write_bytes(data)
    for name, data in files.items():
        assert (TABLE_VECTORS / name).read_bytes() == data, f"{name} changed; see README.md"


def test_vector_edges_match_the_decoded_table() -> None:
    names = {p.id: p.name for p in _vector_protocols()}
    table = decode_table((TABLE_VECTORS / "all.bin").read_bytes())
    for prog in table.programs:
        doc = json.loads((TABLE_VECTORS / f"{names[prog.id]}.edges.json").read_text())
        assert [list(e) for e in edges(prog)] == doc["edges"]
        assert duration_ms(prog) == doc["duration_ms"]


@pytest.mark.parametrize("name", sorted(_bad_tables()))
def test_bad_tables_get_their_error_code(name: str) -> None:
    expected = json.loads((TABLE_VECTORS / "bad" / "expected.json").read_text())
    data = (TABLE_VECTORS / "bad" / f"{name}.bin").read_bytes()
    with pytest.raises(TableError) as exc:
        decode_table(data)
    assert ERROR_NAMES[exc.value.code] == expected[f"{name}.bin"]
    assert ERROR_NAMES[exc.value.code] in str(exc.value)


def test_layout_of_a_small_table() -> None:
    proto = Protocol(id=3, name="x", title="x", blocks=(CheckBlock(1, 10), RestBlock(300)))
    data = compile_table([proto])
    # the default style plays built-in patterns only: no pattern records
    assert data[:2] == b"OS" and data[2] == 2 and data[3] == 1 and data[6] == 1 and data[7] == 0
    assert struct.unpack_from("<H", data, 4)[0] == len(data) == 8 + 6 + 38 + 3 + 3 + 1 + 4
    start = 8 + 6 + 38
    assert data[8:14] == bytes([3, 0, 0, 0]) + struct.pack("<H", start)
    assert data[start : start + 7] == bytes([0x40, 1, 10, 0x30]) + struct.pack("<H", 300) + b"\x01"
    assert table_crc(data) == f"{zlib.crc32(data[:-4]):08x}"
    numbers = {p: i + 1 for i, p in enumerate(proto.style.patterns())}
    assert data[14:52] == proto.style.to_bytes(numbers)
    # style bytes 28..37: a pattern number per cue kind 1..10 (position: taps on;
    # 255: the kind's built-in pattern; 0: not felt)
    assert data[14 + 28 : 52] == bytes([1, 255, 255, 0, 0, 0, 0, 255, 255, 255])
    soft = Protocol(id=3, name="x", title="x", blocks=(RestBlock(300),),
                    style=Style(proto.style.day, proto.style.night,
                                motor=(((160, 100), (0, 100), (160, 300)),) + (None,) * 7))
    data = compile_table([soft])
    assert data[7] == 1 and data[14 + 28 : 52] == bytes([1, 1] + [0] * 8)
    assert data[52:59] == bytes([3, 160, 10, 0, 10, 160, 30])  # the one record: tense


def test_op_sizes_match_the_format() -> None:
    sizes = {
        (0x01,): 1,
        (0x10, 1): 2,
        (0x11, 0, 60, 250, 2): 6,
        (0x20, 0, 40, 0, 60, 0, 40, 0, 60, 0, 0, 300): 14,
        (0x30, 60): 3,
        (0x40, 0, 10): 3,
        (0x50, 2): 2,
        (0x51,): 1,
    }
    for op, size in sizes.items():
        assert len(encode_ops([op])) == size


def test_identical_styles_are_stored_once_and_order_is_by_id() -> None:
    a = Protocol(id=9, name="a", title="a", blocks=(RestBlock(10),))
    b = Protocol(id=2, name="b", title="b", blocks=(RestBlock(20),), rating=1)
    other = Style(a.style.day, a.style.night, 10, 10, 0, (None,) * 8, False)
    c = Protocol(id=5, name="c", title="c", blocks=(RestBlock(30),), style=other)
    t = decode_table(compile_table([a, b, c]))
    assert [p.id for p in t.programs] == [2, 5, 9]
    assert [p.style for p in t.programs] == [0, 1, 0]
    assert [p.rating for p in t.programs] == [1, 0, 0]
    assert t.styles == (a.style, other)


def test_compile_refuses_what_does_not_fit() -> None:
    p = Protocol(id=1, name="a", title="a", blocks=(RestBlock(10),))
    with pytest.raises(CompileError, match="duplicate"):
        compile_table([p, p])
    with pytest.raises(CompileError, match="1 to 32"):
        compile_table([])
    many = [Protocol(id=i, name=f"p{i}", title="t", blocks=(RestBlock(10),)) for i in range(1, 34)]
    with pytest.raises(CompileError, match="1 to 32"):
        compile_table(many)
    styles = [
        Protocol(
            id=i,
            name=f"p{i}",
            title="t",
            blocks=(RestBlock(10),),
            style=Style(p.style.day, p.style.night, i, 1, 0, (None,) * 8, False),
        )
        for i in range(1, 18)
    ]
    with pytest.raises(CompileError, match="styles"):
        compile_table(styles)
    big = PmrBlock(tuple(Group(0, "g", "", 10, 50, 1) for _ in range(200)))
    huge = [Protocol(id=i, name=f"p{i}", title="t", blocks=(big,)) for i in range(1, 8)]
    with pytest.raises(CompileError, match="8192"):
        compile_table(huge)


def test_decode_refuses_garbage_with_a_table_error() -> None:
    for data in (b"", b"OS", b"\xff" * 64, b"\x00" * 64, bytes(range(256))):
        with pytest.raises(TableError):
            decode_table(data)


def test_ramp_follows_the_formula_by_hand() -> None:
    proto = _load(TABLE_VECTORS / "v2-ramp.toml")
    ops = protocol_ops(proto)
    assert ops[0] == (0x20, 0, 15, 5, 25, 5, 26, 9, 43, 9, 60, 90)
    es = [e for e in edges(proto) if e.block == 0]
    assert es[:4] == [
        (0, IN, 0, 255),
        (1500, HOLD, 0, 255),
        (2000, OUT, 0, 255),
        (4500, PAUSE, 0, 255),
    ]
    # second cycle starts at e = 5000: in = 1500 + (1100 * 5000) // 60000 = 1591
    assert es[4].t_ms == 5000 and es[5].t_ms == 5000 + 1591
    # hold: 500 + (400 * 5000) // 60000 = 533
    assert es[6].t_ms == 5000 + 1591 + 533
    # cycles after the ramp use the end phases: 2600 + 900 + 4300 + 900 ms
    starts = [e.t_ms for e in es if e.kind == IN]
    late = [b - a for a, b in zip(starts, starts[1:], strict=False) if a >= 60000]
    assert late and all(d == 8700 for d in late)
    # a cycle starts only while e < 90 s; the block ends when that cycle ends
    assert starts[-1] < 90000
    nxt = [e for e in edges(proto) if e.block == 1][0]
    assert nxt.t_ms == starts[-1] + 8700


def test_breath_cycles_mode_counts_cycles() -> None:
    proto = _load(TABLE_VECTORS / "v2-ramp.toml")
    es = [e for e in edges(proto) if e.block == 1]
    assert [e.kind for e in es] == [IN, OUT] * 3
    assert es[-1].t_ms - es[0].t_ms == 2 * 10000 + 4000
    end = edges(proto)[-1]
    assert end.kind == END and end.block == 255 and end.group == 255
    assert duration_ms(proto) == end.t_ms + 3000


def test_table_names_is_json_and_indexes_blocks_once() -> None:
    protos = _vector_protocols()
    names = json.loads(json.dumps(table_names(protos)))
    assert set(names) == {"7", "8", "9", "10"}
    assert names["7"]["blocks"][0]["groups"][0]["name"] == "rechter voet"
    assert names["7"]["blocks"][0]["groups"][1]["number"] == 17
    assert [b["type"] for b in names["9"]["blocks"]] == ["check", "breath", "check", "rest"]
    assert {e.block for e in edges(protos[2])} == {0, 1, 2, 3, 255}


# ---------------------------------------------------------------- property tests

groups = st.builds(
    Group,
    number=st.integers(0, 254),
    name=st.just("g"),
    instruction=st.just(""),
    tense_ds=st.integers(10, 100),
    feel_ds=st.integers(50, 1200),
    reps=st.integers(1, 10),
)
phase = st.integers(10, 200)
gap = st.integers(0, 200)


@st.composite
def breaths(draw: st.DrawFn) -> BreathBlock:
    cycles = draw(st.booleans())
    ramp = draw(st.one_of(st.just(0), st.integers(1, 3600)))
    length = draw(st.integers(1, 12) if cycles else st.integers(1, 240))
    p0 = [draw(phase), draw(gap), draw(phase), draw(gap)]
    p1 = [draw(phase), draw(gap), draw(phase), draw(gap)] if ramp else p0
    return BreathBlock(*p0, *p1, ramp, length, cycles, draw(st.booleans()))  # type: ignore[arg-type]


leaf_blocks = st.one_of(
    st.builds(PmrBlock, st.lists(groups, min_size=1, max_size=4).map(tuple)),
    breaths(),
    st.builds(RestBlock, st.integers(10, 600)),
    st.builds(CheckBlock, st.integers(0, 4), st.integers(3, 120)),
)


def _repeat(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(
        RepeatBlock, st.integers(2, 3), st.lists(inner, min_size=1, max_size=3).map(tuple)
    )


block_lists = st.lists(
    st.one_of(leaf_blocks, _repeat(st.one_of(leaf_blocks, _repeat(leaf_blocks)))),
    min_size=1,
    max_size=4,
).map(tuple)
# patterns the device plays, a few of each shape (the rules are tested on their own)
PATTERN_POOL = [
    *BUILTIN.values(),
    ((64, 80),),
    ((255, 1500),),
    ((200, 80), (0, 100), (64, 1500), (0, 2550), (255, 80)),
]
rgb = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
styles = st.builds(
    Style,
    st.tuples(rgb, rgb, rgb, rgb),
    st.tuples(rgb, rgb, rgb, rgb),
    st.integers(1, 255),
    st.integers(1, 255),
    st.integers(0, 255),
    st.tuples(*[st.none() | st.sampled_from(PATTERN_POOL) for _ in KINDS]),
    st.booleans(),
)


@st.composite
def protocol_sets(draw: st.DrawFn) -> list[Protocol]:
    ids = draw(st.lists(st.integers(1, 254), min_size=1, max_size=4, unique=True))
    style_pool = draw(st.lists(styles, min_size=1, max_size=2))
    return [
        Protocol(
            id=i,
            name=f"p{i}",
            title="t",
            blocks=draw(block_lists),
            style=draw(st.sampled_from(style_pool)),
            rating=draw(st.integers(0, 2)),
        )
        for i in ids
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protocol_sets())
def test_compile_then_decode_gives_the_same_numbers(protos: list[Protocol]) -> None:
    for p in protos:
        assume(duration_ms(p) <= 90 * 60 * 1000)
    data = compile_table(protos)
    table = decode_table(data)
    assert table.crc == table_crc(data)
    by_id = {p.id: p for p in protos}
    assert sorted(by_id) == [p.id for p in table.programs]
    for prog in table.programs:
        src = by_id[prog.id]
        assert list(prog.ops) == protocol_ops(src)
        assert table.styles[prog.style] == src.style
        assert prog.rating == src.rating
        assert edges(prog) == edges(src)
        assert duration_ms(prog) == duration_ms(src) == edges(src)[-1].t_ms + 3000


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_decoder_only_ever_raises_table_error(data: bytes) -> None:
    try:
        decode_table(data)
    except TableError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 255))
def test_single_byte_corruption_is_refused_or_harmless(pos: int, value: int) -> None:
    """Refused with a TableError, or decoded into a table that plays: every program's
    ops read back to exactly its bytes, its timeline runs in order to END within 90
    minutes. (tests/fw/test_table_differential.py holds the firmware to the same
    verdicts; tests/test_table_upload.py holds the device to them.)"""
    data = bytearray(compile_table(_vector_protocols()))
    pos %= len(data) - 4
    data[pos] = value
    data = bytearray(_reseal(data))
    try:
        table = decode_table(bytes(data))
    except TableError as e:
        assert e.code in ERROR_NAMES and ERROR_NAMES[e.code] in str(e)
        return
    assert table.programs and table.crc == table_crc(bytes(data))
    for prog in table.programs:
        raw = encode_ops(prog.ops)
        assert bytes(data[prog.offset : prog.offset + len(raw)]) == raw
        es = edges(prog)
        assert [e.t_ms for e in es] == sorted(e.t_ms for e in es)
        assert es[-1].kind == END
        assert duration_ms(prog) == es[-1].t_ms + 3000 <= 90 * 60 * 1000
    assert all(0 <= p.style < len(table.styles) for p in table.programs)


def test_parse_and_compile_agree_on_timing() -> None:
    text = """
id = 1
name = "x"
title = "x"
[[block]]
type = "pmr"
groups = ["a", "q"]
[[block]]
type = "rest"
minutes = 5
"""
    proto, _ = parse_protocol(text)
    assert proto is not None
    es = edges(decode_table(compile_table([proto])).programs[0])
    # a: POSITION 2 s, then 2 x (2.5 s + 25 s); q: POSITION 2 s, 2 x (6 s + 25 s)
    assert [e.t_ms for e in es[:6]] == [0, 2000, 4500, 29500, 32000, 57000]
    assert es[-2].t_ms == 57000 + 2000 + 2 * 31000
    assert duration_ms(proto) == es[-2].t_ms + 300000 + 3000
