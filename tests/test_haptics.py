"""Motor patterns in the protocol language: presets, switches, per-cue patterns, the
device's rules on the host (and the same verdicts as firmware/haptic.py), the
same-rhythm warning, and the patterns in the compiled table."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.decoder import decode_table
from ontspan.protocols.files import check_paths
from ontspan.protocols.haptics import BUILTIN, KINDS, PRESETS, problems, rhythm, to_units
from ontspan.protocols.model import default_style
from ontspan.protocols.parser import parse_protocol

HEAD = 'id = 1\nname = "t"\ntitle = "T"\n'
REST = '\n[[block]]\ntype = "rest"\nminutes = 5\n'


def style_of(text: str):
    proto, diags = parse_protocol(HEAD + text + REST, "t.toml")
    assert proto is not None, [str(d) for d in diags]
    return proto.style, diags


def diags_of(text: str):
    return parse_protocol(HEAD + text + REST, "t.toml")[1]


def felt(style) -> dict:
    return {k: style.pattern_of(k) for k in KINDS if style.pattern_of(k) is not None}


def test_presets() -> None:
    std, diags = style_of('[style]\nhaptic = "standaard"\n')
    assert std == default_style() and diags == []
    assert set(felt(std)) == {"tense", "release", "rest", "check", "end"} and std.position
    clear, _ = style_of('[style]\nhaptic = "duidelijk"\n')
    assert felt(clear) == BUILTIN and clear.position
    soft, _ = style_of('[style]\nhaptic = "zacht"\n')
    assert set(felt(soft)) == set(felt(std))
    assert soft.pattern_of("release") == ((160, 300), (120, 300), (80, 300))
    assert {k: rhythm(p) for k, p in felt(soft).items()} == {k: rhythm(p) for k, p in felt(std).items()}
    off, _ = style_of('[style]\nhaptic = "uit"\n')
    assert felt(off) == {} and not off.position


def test_switches_and_presets_say_the_same() -> None:
    # the library's breathing protocols moved from the switch to the preset: same bytes
    a, _ = style_of("[style]\nswell_on_breath = true\n")
    b, _ = style_of('[style]\nhaptic = "duidelijk"\n')
    assert a == b
    c, _ = style_of('[style]\nhaptic = "uit"\npulse_on_release = true\n')
    assert felt(c) == {"release": BUILTIN["release"]} and not c.position
    d, _ = style_of("[style]\ntaps_on_tense = false\n")
    assert "tense" not in felt(d) and not d.position


def test_per_cue_patterns_override_the_preset() -> None:
    st_, diags = style_of(
        '[style.haptic]\npreset = "zacht"\nhold = [[255, 700], [0, 200], [128, 200]]\n'
        'out = "duidelijk"\nend = "uit"\nposition = "uit"\n'
    )
    assert diags == []
    assert st_.pattern_of("hold") == ((255, 700), (0, 200), (128, 200))
    assert st_.pattern_of("out") == BUILTIN["out"]
    assert st_.pattern_of("end") is None and st_.pattern_of("in") is None
    assert st_.pattern_of("tense") == PRESETS["zacht"][0]["tense"] and not st_.position


def test_rule_errors_name_file_line_key_and_what_is_allowed() -> None:
    text = '[style.haptic]\nhold = [[255, 900], [200, 700]]\nrest = [[255, 100], [0, 50], [255, 100]]\n'
    msgs = [str(d) for d in diags_of(text)]
    assert msgs == [
        "t.toml:5: error: style.haptic.hold[1]: 1600 ms on without a gap; the motor is on at most "
        "1500 ms at a time (put a gap of 100 ms in)",
        "t.toml:6: error: style.haptic.rest[1]: a gap of 50 ms merges the pulses around it; "
        "gaps are at least 100 ms",
    ]
    assert "allowed" in str(diags_of('[style]\nhaptic = 3\n')[0])
    assert "allowed" in str(diags_of('[style.haptic]\nposition = true\n')[0])
    assert "unknown key `holt`" in str(diags_of("[style.haptic]\nholt = [[255, 500]]\n")[0])


def test_same_rhythm_warns_but_compiles() -> None:
    st_, diags = style_of('[style.haptic]\npreset = "duidelijk"\nin = [[255, 200]]\nout = [[128, 200]]\n')
    assert [str(d) for d in diags] == [
        "t.toml:7: warning: style.haptic.out: in and out feel the same (one 200 ms pulse); with eyes "
        "closed cues are told apart by rhythm, not strength: give them different pulse counts or lengths"
    ]
    # neighbouring on segments are one pulse; 100 ms is the resolution
    _, diags = style_of('[style.haptic]\npreset = "duidelijk"\nhold = [[255, 250], [128, 260]]\n')
    assert diags == []  # one 510 ms pulse: the hold's rhythm, and hold is this pattern
    _, diags = style_of('[style.haptic]\npreset = "duidelijk"\nin = [[255, 420], [128, 100]]\n')
    assert len(diags) == 1 and "in and hold feel the same" in diags[0].message
    # silent cues are not compared; every preset is told apart
    assert diags_of('[style.haptic]\npreset = "uit"\nin = [[255, 300]]\n') == []
    for name in PRESETS:
        assert diags_of(f'[style]\nhaptic = "{name}"\n') == []


def test_the_library_checks_and_keeps_what_patients_feel() -> None:
    protos, diags = check_paths([PROTOCOLS_DIR])
    assert diags == []
    for p in protos:  # every library style is the standaard or the duidelijk preset
        assert felt(p.style) in (felt(default_style()), BUILTIN)
    t = decode_table(compile_table(protos))
    assert t.version == 2 and {s.motor for s in t.styles} == {p.style.motor for p in protos}


def test_patterns_are_stored_once() -> None:
    texts = ('[style]\nhaptic = "zacht"\n',
             '[style.haptic]\npreset = "zacht"\nhold = [[255, 700]]\nin = "duidelijk"\n')
    protos = []
    for i, text in enumerate(texts):
        p, _ = parse_protocol(f'id = {i + 1}\nname = "p{i}"\ntitle = "T"\n' + text + REST, "t.toml")
        assert p is not None
        protos.append(p)
    data = compile_table(protos)
    # two styles; the five zacht patterns shared, one hold of its own; "in" is a built-in
    assert data[6] == 2 and data[7] == 6
    assert data[8 + 12 + 38 + 28 + 3] == 255  # the second style's in: PAT_BUILTIN
    assert decode_table(data).styles == tuple(p.style for p in protos)


def _random_pattern(rng: random.Random) -> list[tuple[int, int]]:
    out = []
    for _ in range(rng.randint(1, 8)):
        lv = rng.choice((0, 0, 255, 128, 64, 63, rng.randrange(256)))
        t = rng.choice((1, 7, 8, 9, 10, 11, 50, 149, 150, 151, 255, rng.randrange(256)))
        out.append((lv, t * 10))
    return out


def test_host_rules_are_the_firmware_rules(mpy) -> None:
    rng = random.Random(7)
    pats = [_random_pattern(rng) for _ in range(4000)]
    blob = b"".join(to_units(tuple(p)) for p in pats)
    out = mpy.check(f"""
import haptic
b = bytes.fromhex('{blob.hex()}')
at = 0
res = []
while at < len(b):
    res.append(1 if haptic.pattern_ok(b, at) else 0)
    at += 1 + 2 * b[at]
print(''.join(str(x) for x in res))
""")
    fw = [c == "1" for c in out.strip()]
    host = [not problems(p) for p in pats]
    assert fw == host
    assert 200 < sum(host) < 3800  # both verdicts are well represented


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.integers(-5, 3000) | st.booleans() | st.text(max_size=6),
                    lambda c: st.lists(c, max_size=9), max_leaves=30))
def test_any_haptic_value_gives_diagnostics_not_a_traceback(value) -> None:
    text = "[style.haptic]\n" + f"hold = {_toml(value)}\n"
    parse_protocol(HEAD + text + REST, "t.toml")


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + "".join(c for c in v if c.isalnum()) + '"'
    return "[" + ", ".join(_toml(x) for x in v) + "]"


def test_a_pattern_longer_than_its_cue_warns() -> None:
    breath = '\n[[block]]\ntype = "breath"\nin_s = 4\nhold_s = 1\nout_s = 6\ncycles = 3\n'
    text = HEAD + '[style.haptic]\npreset = "duidelijk"\nhold = [[255, 800], [0, 100], [255, 300]]\n' + breath
    proto, diags = parse_protocol(text, "t.toml")
    assert proto is not None
    assert [str(d) for d in diags] == [
        "t.toml:6: warning: style.haptic.hold: the hold pattern lasts 1200 ms but the shortest hold "
        "of this protocol lasts 1000 ms; the next cue cuts it short: keep it shorter"
    ]
