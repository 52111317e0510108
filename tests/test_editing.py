"""The protocol builder's editing core: a round trip keeps the file's bytes, one
edit changes one line, the form refuses what `ontspan check` refuses in the
checker's own words, hand edits are never overwritten, and a saved file compiles
to the table bytes the CLI's compile gives."""

import difflib
import shutil
import tomllib
from pathlib import Path

import pytest
from ontspan.cli.main import main as cli
from ontspan.errors import InputError
from ontspan.protocols import breathing
from ontspan.protocols.checker import format_key
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.editing import Draft, HandEdited, SaveRefused
from ontspan.protocols.files import check_paths
from ontspan.protocols.form import INT, NUMBER, SECONDS, by_field, parse_key, read_form
from ontspan.protocols.parser import load_protocol

REPO = Path(__file__).parents[1]
LIBRARY = sorted((REPO / "protocols").glob("*.toml"))
BAD = REPO / "tests" / "data" / "bad"


def _copy(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / f"{name}.toml"
    shutil.copy(REPO / "protocols" / f"{name}.toml", dst)
    return dst


def _changed_lines(a: str, b: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_save_without_changes_keeps_every_byte(tmp_path, path):
    f = _copy(tmp_path, path.stem)
    before = f.read_bytes()
    draft = Draft.load(f)
    for fld in draft.form().fields():  # the form's own values written back change nothing
        if fld.given:
            draft.set(fld.key, fld.value)
    draft.save()
    assert f.read_bytes() == before


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_one_edit_changes_one_line(path):
    text = path.read_text()
    numeric = [
        f for f in Draft.from_text(text).form().fields()
        if f.given and f.spec.kind in (INT, SECONDS, NUMBER)
    ]  # fmt: skip
    assert numeric
    for fld in numeric:
        draft = Draft.from_text(text)
        draft.set(fld.key, str(fld.value + 1))
        changed = _changed_lines(text, draft.text)
        assert len(changed) == 2, (fld.path, changed)  # one line out, one line in
        assert changed[0][1:].split("=")[0] == changed[1][1:].split("=")[0]


def _leaves(data: dict, key: tuple = ()) -> set[str]:
    """Every value a file gives, as the form's field paths."""
    out: set[str] = set()
    for k, v in data.items():
        here = key + (k,)
        if k == "haptic" and isinstance(v, str):
            out.add(format_key(here + ("preset",)))
        elif k == "groups":
            for j, g in enumerate(v):
                out |= _leaves(g if isinstance(g, dict) else {"standard": g}, here + (j,))
        elif k in ("block", "blocks"):
            for j, b in enumerate(v):
                out |= _leaves({n: x for n, x in b.items() if n != "type"}, here + (j,))
        elif isinstance(v, dict) and k != "haptic" or k == "haptic":
            out |= _leaves(v, here) if isinstance(v, dict) else {format_key(here)}
        else:
            out.add(format_key(here))
    return out


@pytest.mark.parametrize("path", [*LIBRARY, BAD / "haptic-rules.toml", BAD / "warnings.toml"],
                         ids=lambda p: p.stem)  # fmt: skip
def test_the_form_shows_every_value_a_file_gives(path):
    data = tomllib.loads(path.read_text())
    form = read_form(data)
    given = {f.path for f in form.fields() if f.given}
    assert given == _leaves(data)


# (library protocol, edits through the form, bad file whose checker words it must give)
HOSTILE = [
    ("pmr-kort", [("block[0].groups[0].tense_s", "12")], "tense-too-long"),
    ("pmr-kort", [("style.day.tense", "#fff")], "bad-colour"),
    ("lijf-check", [("block[1].prompt", "knees")], "bad-prompt"),
    ("adem-4-6", [("block[0].in_s", "4.25")], "finer-than-tenth"),
    ("adem-4-6", [("style.motor_strength", "300"), ("style.day_brightness", "0")],
     "motor-too-strong"),
    ("pmr-17", [("block[0].reps", "twee")], "wrong-type"),
    ("vertragen-20", [("block[0].hold_s", "2"), ("block[0].ramp.from_bpm", "30")],
     "ramp-too-fast"),
    ("adem-4-7-8", [("style.haptic.hold", "[[255, 1600]]"),
                    ("style.haptic.in", "[[255, 50], [0, 90], [30, 200]]"),
                    ("style.haptic.check", "zachtjes")], "haptic-rules"),
]  # fmt: skip


@pytest.mark.parametrize("name,edits,bad", HOSTILE, ids=[h[2] for h in HOSTILE])
def test_hostile_values_are_refused_in_the_checkers_words(tmp_path, name, edits, bad):
    f = _copy(tmp_path, name)
    before = f.read_bytes()
    draft = Draft.load(f)
    for key, value in edits:
        draft.set(key, value)
    with pytest.raises(SaveRefused) as e:
        draft.save()
    assert f.read_bytes() == before  # nothing written
    got = {d.message for d in e.value.diagnostics if d.severity == "error"}
    _, want_diags = check_paths([BAD / f"{bad}.toml"])
    want = {d.message for d in want_diags if d.severity == "error"}
    assert got and got <= want, got - want
    # each beside the field it concerns
    fields = {f.path for f in draft.form().fields()}
    placed = by_field(e.value.diagnostics, fields)
    edited = {k for k, _ in edits}
    assert {p for p, ds in placed.items() if any(d.severity == "error" for d in ds)} <= edited | {
        "style.haptic.in", "block[0].ramp.from_bpm"
    } and "" not in placed


def test_what_the_language_cannot_say_the_form_cannot_either():
    draft = Draft.from_text((REPO / "protocols" / "pmr-kort.toml").read_text())
    with pytest.raises(InputError, match="no such field"):
        draft.set("block[0].tense", 6)  # unknown-key.toml's mistake
    with pytest.raises(InputError, match="no such field"):
        draft.set("block[1].in_s", 4)  # a rest block has no phases
    breath = Draft.from_text((BAD / "breath-two-lengths.toml").read_text().replace("cycles = 30\n", ""))
    breath.set("block[0].cycles", 30)  # one length: giving cycles drops the minutes
    assert "minutes" not in breath.data()["block"][0]
    with pytest.raises(InputError):
        draft.add_block("sleep", {})


def test_a_hand_edit_meanwhile_is_not_overwritten(tmp_path):
    f = _copy(tmp_path, "pmr-kort")
    draft = Draft.load(f)
    draft.set("block[0].tense_s", 5)
    hand = f.read_text().replace("feel_s = 25", "feel_s = 30")
    f.write_text(hand)
    with pytest.raises(HandEdited, match="changed after it was opened"):
        draft.save()
    assert f.read_text() == hand
    again = Draft.load(f)  # opened again: the hand edit is there, the edit applies on top
    again.set("block[0].tense_s", 5)
    again.save()
    assert "feel_s = 30" in f.read_text() and "tense_s = 5\n" in f.read_text()


def test_a_copy_is_saved_under_a_new_name_never_over_another_file(tmp_path):
    draft = Draft.copy_of(REPO / "protocols" / "pmr-kort.toml")
    with pytest.raises(InputError):
        draft.save()  # a copy has no file of its own yet
    (tmp_path / "anna.toml").write_text("# someone else's\n")
    with pytest.raises(HandEdited, match="exists"):
        draft.save(tmp_path / "anna.toml")
    draft.save(tmp_path / "anna-avond.toml")
    draft.set("block[0].reps", 3)
    draft.save()  # from now on its own file
    assert "reps = 3" in (tmp_path / "anna-avond.toml").read_text()


def test_a_saved_file_compiles_to_the_clis_table_bytes(tmp_path):
    f = _copy(tmp_path, "pmr-kort")
    draft = Draft.load(f)
    draft.remove("block[0].groups[0]")
    draft.set("block[0].tense_s", "5")
    draft.set("block[0].groups[0].feel_s", "25")
    draft.add_block("breath", {"in_s": 4, "out_s": 6, "minutes": 4,
                               "ramp": {"from_bpm": 8, "to_bpm": 6, "minutes": 4}}, index=1)  # fmt: skip
    assert draft.save() == []  # checks clean: no warnings either
    out = tmp_path / "table.bin"
    assert cli(["compile", str(f), "-o", str(out)]) == 0
    proto, _ = load_protocol(f)
    assert proto is not None and out.read_bytes() == compile_table([proto])
    # the same protocol written by hand compiles to the same bytes
    by_hand = (REPO / "protocols" / "pmr-kort.toml").read_text()
    by_hand = by_hand.replace("tense_s = 6", "tense_s = 5").replace(
        '[[block.groups]]\nname = "benen"\ninstruction = "trek je tenen naar je toe en span je '
        'onder- en bovenbenen aan"\n\n', "").replace(
        '[[block]]\ntype = "rest"',
        '[[block]]\ntype = "breath"\nin_s = 4\nout_s = 6\nminutes = 4\n'
        'ramp = { from_bpm = 8, to_bpm = 6, minutes = 4 }\n\n[[block]]\ntype = "rest"')  # fmt: skip
    (tmp_path / "hand.toml").write_text(by_hand)
    hand, _ = load_protocol(tmp_path / "hand.toml")
    assert hand is not None and compile_table([hand]) == out.read_bytes()


def test_breathing_notation_ratio_and_rate():
    assert breathing.notation((4, 7, 8, 0)) == "4-7-8"
    assert breathing.notation((4, 0, 6, 0)) == "4-6"
    assert breathing.notation((4.5, 2, 6, 1)) == "4.5-2-6-1"
    assert breathing.per_minute((4, 0, 6, 0)) == 6.0
    with pytest.raises(InputError, match="e.g. 4-6"):
        breathing.parse_notation("4-7-8-1-2")
    draft = Draft.from_text((REPO / "protocols" / "adem-4-6.toml").read_text())
    draft.set_breath("block[0]", notation="4-7-8", unit_s="0.5")
    b = draft.data()["block"][0]
    assert (b["in_s"], b["hold_s"], b["out_s"]) == (2, 3.5, 4)
    draft.set_breath("block[0]", bpm="6")  # 2:3.5:4 over 10 s, each to 0.1 s
    b = draft.data()["block"][0]
    assert (b["in_s"], b["hold_s"], b["out_s"]) == (2.1, 3.7, 4.2)
    ramped = Draft.from_text((REPO / "protocols" / "vertragen-20.toml").read_text())
    with pytest.raises(InputError, match="from_bpm"):
        ramped.set_breath("block[0]", bpm=6)


def test_diagnostics_sit_beside_their_field():
    draft = Draft.from_text((BAD / "warnings.toml").read_text(), Path("w.toml"))
    _, diags = draft.check()
    placed = by_field(diags, [f.path for f in draft.form().fields()] + ["block[0]"])
    assert {d.key for d in placed["block[0].groups[1].tense_s"]} == {"block[0].groups[1].tense_s"}
    assert [d.key for d in placed["block[0]"]] == ["block[0]"]  # ends without a rest
    assert parse_key("block[1].groups[0].tense_s") == ("block", 1, "groups", 0, "tense_s")
