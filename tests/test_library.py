"""The standard protocols in protocols/: clean, faithful to the clinical texts, small."""

from pathlib import Path

import pytest
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.decoder import decode_table
from ontspan.protocols.files import check_paths
from ontspan.protocols.model import (
    STANDARD_GROUPS,
    BreathBlock,
    PmrBlock,
    Protocol,
    RestBlock,
    iter_blocks,
)
from ontspan.protocols.ops import protocol_ops
from ontspan.protocols.parser import load_protocol
from ontspan.protocols.timeline import duration_ms, edges

FILES = sorted(PROTOCOLS_DIR.glob("*.toml"))
EXPECTED = {
    "pmr-17",
    "pmr-kort",
    "pmr-zittend",
    "adem-4-6",
    "adem-4-7-8",
    "buikademhaling",
    "vertragen-8",
    "vertragen-20",
    "avondritueel",
    "lijf-check",
}


def _proto(name: str) -> Protocol:
    proto, diags = load_protocol(PROTOCOLS_DIR / f"{name}.toml")
    assert proto is not None, [str(d) for d in diags]
    return proto


def test_library_is_complete() -> None:
    assert {p.stem for p in FILES} == EXPECTED


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_file_checks_clean_and_compiles(path: Path) -> None:
    proto, diags = load_protocol(path)
    assert proto is not None and diags == [], [str(d) for d in diags]
    assert proto.name == path.stem
    table = decode_table(compile_table([proto]))
    assert list(table.programs[0].ops) == protocol_ops(proto)
    assert duration_ms(proto) <= 90 * 60 * 1000
    assert path.read_text().lstrip().startswith("#"), "every protocol explains itself"


def test_whole_library_checks_and_fits() -> None:
    protos, diags = check_paths([PROTOCOLS_DIR])
    assert diags == []
    table = compile_table(protos)
    assert len(table) <= 2048
    assert len({p.id for p in protos}) == len(protos)
    decoded = decode_table(table)
    for p in protos:
        assert edges(decoded.program(p.id)) == edges(p)


def test_pmr_17_follows_the_standard_sequence() -> None:
    p = _proto("pmr-17")
    assert len(compile_table([p])) <= 256
    pmr, rest = p.blocks
    assert isinstance(pmr, PmrBlock) and isinstance(rest, RestBlock)
    assert [g.number for g in pmr.groups] == list(range(17))
    assert [g.name for g in pmr.groups] == [v[0] for v in STANDARD_GROUPS.values()]
    for g in pmr.groups:
        assert g.instruction
        if g.feet:
            assert 20 <= g.tense_ds <= 30
        else:
            assert 50 <= g.tense_ds <= 70
        assert 2 <= g.reps <= 5 and 200 <= g.feel_ds <= 300
    assert [g.name for g in pmr.groups if g.feet] == ["rechter voet", "linker voet"]
    assert rest.seconds >= 300


def test_short_versions() -> None:
    kort = _proto("pmr-kort").blocks[0]
    assert isinstance(kort, PmrBlock)
    assert [g.name for g in kort.groups] == ["benen", "schouders", "gezicht"]
    zit = _proto("pmr-zittend").blocks[0]
    assert isinstance(zit, PmrBlock)
    assert [g.name for g in zit.groups] == [
        "voeten en onderbenen",
        "bovenbenen en billen",
        "buik",
        "schouders",
        "handen en armen",
        "gezicht",
    ]


@pytest.mark.parametrize("name, minutes", [("vertragen-8", 8), ("vertragen-20", 20)])
def test_slowing_down_ramps_from_11_to_6(name: str, minutes: int) -> None:
    b = _proto(name).blocks[0]
    assert isinstance(b, BreathBlock) and b.ramp_s == minutes * 60
    start = b.in0 + b.hold0 + b.out0 + b.pause0
    end = b.in1 + b.hold1 + b.out1 + b.pause1
    assert abs(600 / start - 11) < 0.2 and 600 / end == 6
    assert (b.in0, b.out0) == (22, 33) and (b.in1, b.out1) == (40, 60)


def test_breathing_patterns() -> None:
    b = _proto("adem-4-6").blocks[0]
    assert isinstance(b, BreathBlock) and (b.in0, b.hold0, b.out0) == (40, 0, 60)
    b = _proto("adem-4-7-8").blocks[0]
    assert isinstance(b, BreathBlock) and (b.in0, b.hold0, b.out0) == (40, 70, 80)
    b = _proto("buikademhaling").blocks[0]
    assert isinstance(b, BreathBlock) and b.belly


def test_evening_ritual_order() -> None:
    kinds = [type(b) for b in iter_blocks(_proto("avondritueel").blocks)]
    assert kinds == [PmrBlock, BreathBlock, RestBlock]
