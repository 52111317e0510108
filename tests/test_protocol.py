"""The protocol language: values, defaults, group numbers, diagnostics, and never raising."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ontspan.protocols.checker import Diagnostic
from ontspan.protocols.files import check_paths
from ontspan.protocols.haptics import BUILTIN, KINDS
from ontspan.protocols.model import MAX_FILE_BYTES, BreathBlock, PmrBlock, RepeatBlock
from ontspan.protocols.ops import protocol_ops
from ontspan.protocols.parser import load_protocol, parse_protocol

BAD = Path(__file__).parent / "data" / "bad"

HEAD = 'id = 1\nname = "t"\ntitle = "T"\n'
REST = '\n[[block]]\ntype = "rest"\nminutes = 5\n'


def ok(text: str):
    proto, diags = parse_protocol(text, "t.toml")
    assert proto is not None, [str(d) for d in diags]
    return proto, diags


def errors(text: str) -> list[Diagnostic]:
    proto, diags = parse_protocol(text, "t.toml")
    assert proto is None
    return [d for d in diags if d.severity == "error"]


def test_minimal_protocol_and_defaults() -> None:
    proto, diags = ok(HEAD + REST)
    assert diags == []
    assert proto.language == "nl" and proto.version == 1 and proto.rating == 0
    assert proto.style.day_brightness == 160 and proto.style.position
    # the patterns of before patterns became data: breathing not felt
    assert proto.style.motor == tuple(None if k in ("in", "hold", "out") else BUILTIN[k] for k in KINDS)
    assert protocol_ops(proto) == [(0x30, 300), (0x01,)]


def test_pmr_defaults_feet_and_overrides() -> None:
    text = (
        HEAD
        + """
[[block]]
type = "pmr"
groups = ["a", "b", { standard = "c", tense_s = 5.5, feel_s = 30, reps = 3 }]
"""
        + REST
    )
    proto, diags = ok(text)
    assert diags == []
    pmr = proto.blocks[0]
    assert isinstance(pmr, PmrBlock)
    assert [(g.number, g.tense_ds, g.feel_ds, g.reps) for g in pmr.groups] == [
        (0, 25, 250, 2),
        (1, 60, 250, 2),
        (2, 55, 300, 3),
    ]
    assert pmr.groups[0].name == "rechter voet" and pmr.groups[0].feet


def test_group_numbers() -> None:
    text = (
        HEAD
        + """
[[block]]
type = "pmr"
groups = [
  { name = "rug" },
  { name = "nek", number = 18 },
  { name = "tong" },
  "q",
  { name = "rug" },
]
[[block]]
type = "repeat"
count = 2
[[block.blocks]]
type = "pmr"
groups = [{ name = "tong" }, { name = "hielen" }]
"""
        + REST
    )
    proto, _ = ok(text)
    first, rep = proto.blocks[0], proto.blocks[1]
    assert isinstance(first, PmrBlock) and isinstance(rep, RepeatBlock)
    assert [g.number for g in first.groups] == [17, 18, 19, 16, 17]
    inner = rep.blocks[0]
    assert isinstance(inner, PmrBlock)
    assert [g.number for g in inner.groups] == [19, 20]


def test_standard_group_cannot_take_a_number() -> None:
    errs = errors(HEAD + '[[block]]\ntype = "pmr"\ngroups = [{ standard = "a", number = 30 }]\n')
    assert "only for custom groups" in errs[0].message


def test_breath_lengths_and_ramp() -> None:
    text = (
        HEAD
        + """
[[block]]
type = "breath"
in_s = 4
out_s = 6
minutes = 8
ramp = { from_bpm = 11, to_bpm = 6, minutes = 8 }
[[block]]
type = "breath"
belly = true
in_s = 4.5
hold_s = 0.5
out_s = 6
pause_s = 1
cycles = 10
[[block]]
type = "breath"
in_s = 4
out_s = 6
seconds = 90
"""
    )
    proto, diags = ok(text)
    assert diags == []
    b0, b1, b2 = proto.blocks
    assert isinstance(b0, BreathBlock) and isinstance(b1, BreathBlock)
    # 11/min: 600/11 ds = 54.5 ds split 4:6 -> 21.8 and 32.7 -> 22, 33; 6/min: 40, 60
    assert (b0.in0, b0.out0, b0.in1, b0.out1, b0.ramp_s, b0.length) == (22, 33, 40, 60, 480, 480)
    assert (b1.in0, b1.hold0, b1.out0, b1.pause0, b1.cycles, b1.belly) == (
        45,
        5,
        60,
        10,
        True,
        True,
    )
    assert protocol_ops(proto)[2] == (0x20, 0, 40, 0, 60, 0, 40, 0, 60, 0, 0, 90)


def test_ramp_longer_than_block_warns() -> None:
    text = (
        HEAD
        + """
[[block]]
type = "breath"
in_s = 4
out_s = 6
minutes = 2
ramp = { from_bpm = 11, to_bpm = 6, minutes = 8 }
"""
    )
    _, diags = ok(text)
    assert [d.severity for d in diags] == ["warning"]
    assert "never reached" in diags[0].message


def test_check_and_repeat() -> None:
    text = (
        HEAD
        + """
[[block]]
type = "repeat"
count = 3
[[block.blocks]]
type = "check"
prompt = "shoulders"
seconds = 20
"""
    )
    proto, _ = ok(text)
    assert protocol_ops(proto) == [(0x50, 3), (0x40, 1, 20), (0x51,), (0x01,)]


@pytest.mark.parametrize(
    "snippet, needle",
    [
        ('[[block]]\ntype = "rest"\nminutes = 0.1\n', "allowed 10 to 3600 s"),
        ('[[block]]\ntype = "rest"\nseconds = 4000\n', "allowed 10 to 3600 s"),
        ('[[block]]\ntype = "check"\nprompt = "jaw"\nseconds = 2\n', "allowed 3 to 120 s"),
        ('[[block]]\ntype = "breath"\nin_s = 0.5\nout_s = 6\ncycles = 3\n', "allowed 1 to 20 s"),
        ('[[block]]\ntype = "breath"\nin_s = 4\nout_s = 6\ncycles = 601\n', "allowed 1 to 600"),
        (
            '[[block]]\ntype = "breath"\nin_s = 4\nout_s = 6\nhold_s = 21\nseconds = 60\n',
            "0 to 20 s",
        ),
        (
            '[[block]]\ntype = "repeat"\ncount = 21\n[[block.blocks]]\ntype = "rest"\nseconds = 10\n',
            "allowed 2 to 20",
        ),
        ('[[block]]\ntype = "repeat"\ncount = 2\n', "a repeat needs `blocks`"),
        ('[[block]]\ntype = "pmr"\nreps = 11\ngroups = ["a"]\n', "allowed 1 to 10"),
        ('[[block]]\ntype = "pmr"\nfeel_s = 121\ngroups = ["a"]\n', "allowed 5 to 120 s"),
        ('[[block]]\ntype = "pmr"\ngroups = []\n', "non-empty array"),
        ('[[block]]\ntype = "nap"\n', "allowed: pmr, breath, rest, check, repeat"),
        ('[[block]]\ntype = "rest"\nminutes = nan\n', "must be a number"),
        ('[[block]]\ntype = "rest"\nseconds = 99999999999999999\n', "allowed 10 to 3600 s"),
        ('[[block]]\ntype = "rest"\nminutes = 1e308\n', "allowed 10 to 3600 s"),
        ('[[block]]\ntype = "rest"\nseconds = true\n', "must be a whole number"),
        ('[[block]]\ntype = "rest"\nseconds = 10\nlabel = 5\n', "must be a string"),
    ],
)
def test_hard_limits_are_errors(snippet: str, needle: str) -> None:
    errs = errors(HEAD + snippet)
    assert any(needle in d.message for d in errs), [str(d) for d in errs]


@pytest.mark.parametrize(
    "head, needle",
    [
        ('id = 0\nname = "t"\ntitle = "T"\n', "allowed 1 to 254"),
        ('id = 255\nname = "t"\ntitle = "T"\n', "allowed 1 to 254"),
        ('id = 1\nname = "Mijn Protocol"\ntitle = "T"\n', "slug"),
        ('id = 1\nname = "t"\ntitle = ""\n', "empty"),
        ('id = 1\nname = "t"\ntitle = "T"\nrating = "sometimes"\n', "'before_after'"),
        ('id = 1\nname = "t"\ntitle = "T"\nextra = 1\n', "unknown key `extra`"),
        ('id = 1\nname = "t"\ntitle = "T"\nstyle = 3\n', "must be a table"),
        ('id = 1\nname = "t"\ntitle = "T"\n[style]\ntaps_on_tense = "yes"\n', "true or false"),
    ],
)
def test_metadata_errors(head: str, needle: str) -> None:
    errs = errors(head + REST)
    assert any(needle in d.message for d in errs), [str(d) for d in errs]


def test_night_blue_warns() -> None:
    _, diags = ok(HEAD + '[style.night]\nrest = "#0000ff"\n' + REST)
    assert [d.severity for d in diags] == ["warning"] and "blue" in diags[0].message


def test_diagnostic_shows_line_and_key_path() -> None:
    text = (
        HEAD
        + '\n[[block]]\ntype = "rest"\nminutes = 5\n\n[[block]]\ntype = "pmr"\n\n'
        + ('[[block.groups]]\nstandard = "b"\n\n[[block.groups]]\nname = "x"\ntense_s = 11\n')
    )
    (d,) = errors(text)
    assert d.line == 17 and d.key == "block[1].groups[1].tense_s"
    assert str(d) == (
        "t.toml:17: error: block[1].groups[1].tense_s: "
        "`tense_s` is 11 s; allowed 1 to 10 s in 0.1 s steps"
    )


def _expectations(path: Path) -> list[tuple[str, int | None, str]]:
    out = []
    for m in re.finditer(r"^# expect: (error|warning) (\d+|-) (.+)$", path.read_text(), re.M):
        out.append((m.group(1), None if m.group(2) == "-" else int(m.group(2)), m.group(3)))
    return out


@pytest.mark.parametrize("path", sorted(BAD.glob("*.toml")), ids=lambda p: p.stem)
def test_bad_files_give_the_expected_messages(path: Path) -> None:
    proto, diags = load_protocol(path)
    expected = _expectations(path)
    if path.stem == "empty":
        expected = [
            ("error", None, f"missing required key `{k}`") for k in ("id", "name", "title", "block")
        ]
    assert expected, "a bad file states what it expects"
    for severity, line, text in expected:
        hits = [d for d in diags if d.severity == severity and d.line == line and text in str(d)]
        assert hits, f"{severity} {line} {text!r} not in {[str(d) for d in diags]}"
    errs = [d for d in diags if d.severity == "error"]
    assert (proto is None) == bool(errs)
    assert path.stem == "warnings" or errs


def test_missing_file_directory_and_binary(tmp_path: Path) -> None:
    _, diags = load_protocol(tmp_path / "nope.toml")
    assert diags[0].message == "no such file"
    _, diags = load_protocol("pmr-krot")  # a typo of a library name
    assert diags[0].message == "no such file, nor a library protocol of that name; did you mean pmr-kort?"
    _, diags = load_protocol(tmp_path)
    assert diags[0].severity == "error"
    bin_file = tmp_path / "x.toml"
    bin_file.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    _, diags = load_protocol(bin_file)
    assert "not UTF-8" in diags[0].message
    bin_file.write_bytes(b"id = 1\x00\n")
    _, diags = load_protocol(bin_file)
    assert "not valid TOML" in diags[0].message


def test_huge_and_deep_inputs(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    _, diags = load_protocol(big)
    assert "KiB" in diags[0].message
    for text in ("x = " + "[" * 5_000, "x = " + "{a=" * 5_000, "a." * 5_000 + "b = 1"):
        proto, diags = parse_protocol(text)
        assert proto is None and diags and diags[0].severity == "error"


def test_duplicate_ids_and_names_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('id = 4\nname = "een"\ntitle = "A"\n' + REST)
    (tmp_path / "b.toml").write_text('id = 4\nname = "een"\ntitle = "B"\n' + REST)
    protos, diags = check_paths([tmp_path])
    assert len(protos) == 2
    msgs = [str(d) for d in diags]
    assert any(
        m.startswith(f"{tmp_path / 'b.toml'}:1: error: id: id 4 is already used") for m in msgs
    )
    assert any("name 'een' is already used" in m and ":2:" in m for m in msgs)


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    _, diags = check_paths([tmp_path])
    assert diags[0].severity == "error"


VALID = (
    HEAD
    + '[style]\nmotor_strength = 90\n[style.day]\ntense = "#ff0000"\n'
    + '[[block]]\ntype = "pmr"\ngroups = ["a", { name = "x", tense_s = 6 }]\n'
    + '[[block]]\ntype = "breath"\nin_s = 4\nout_s = 6\nminutes = 2\n'
    + REST
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    proto, diags = parse_protocol(data, "x.toml")
    assert proto is not None or diags
    assert all("internal" not in d.message for d in diags)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_raises(text: str) -> None:
    proto, diags = parse_protocol(text)
    assert proto is not None or any(d.severity == "error" for d in diags)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(VALID)),
            st.sampled_from(
                [
                    "",
                    "0",
                    "-1",
                    "1e9",
                    '"x"',
                    "true",
                    "[",
                    "]",
                    "{",
                    "=",
                    "\n",
                    "[[block]]\n",
                    "[[block.blocks]]\n",
                    "[style]\n",
                    "nan",
                    "300",
                    "0.05",
                    "groups = [1]\n",
                    'type = "repeat"\n',
                    "count = 2\n",
                    "\n[[block.groups]]\n",
                    "\x00",
                    '"""',
                ],
            ),
            st.integers(0, 8),
        ),
        max_size=4,
    )
)
def test_mutated_protocols_never_raise(edits: list[tuple[int, str, int]]) -> None:
    text = VALID
    for pos, insert, cut in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut :]
    proto, diags = parse_protocol(text)
    assert proto is not None or any(d.severity == "error" for d in diags)
    for d in diags:
        assert d.message and d.severity in ("error", "warning")
        assert d.line is None or 1 <= d.line <= text.count("\n") + 2
