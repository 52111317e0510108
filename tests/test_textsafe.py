"""Text safe to print: control characters refused in text fields and labels,
escaped in terminal output; a label for an unknown device is an error."""

import datetime as dt

import pytest
from ontspan.archive.store import Archive
from ontspan.cli.main import main
from ontspan.errors import InputError
from ontspan.paths import PROTOCOLS_DIR
from ontspan.textsafe import control_char_error, for_terminal, refuse_control
from synth_logs import raw, session


@pytest.mark.parametrize("ch", ["\x07", "\x1b", "\x00", "\x7f", "\x85", "\x9b", "\u202e",
                                "\u2066", "\n"])
def test_control_characters_are_named(ch):
    err = control_char_error(f"Slecht{ch} rood", "the label")
    assert err and f"U+{ord(ch):04X}" in err and "character 7" in err
    with pytest.raises(InputError):
        refuse_control(f"x{ch}", "the label")


def test_clean_text_passes_dutch_and_emoji_included():
    for text in ("Mevr. de Vries", "patiënt Ä", "zo ☺", "één — twee"):
        assert control_char_error(text, "x") is None and for_terminal(text) == text


def test_terminal_output_escapes_non_printables():
    assert for_terminal("Slecht\x07\x1b[31m rood") == "Slecht\\x07\\x1b[31m rood"
    assert for_terminal("a\u202eb\u00adc") == "a\\u202eb\\xadc"
    assert for_terminal("two\nlines\tok") == "two\nlines\tok"


def _protocol_with(tmp_path, field, value):
    src = (PROTOCOLS_DIR / "pmr-kort.toml").read_text(encoding="utf-8")
    lines = [ln for ln in src.splitlines() if not ln.startswith(f"{field} =")]
    text = f'{field} = "{value}"\n' + "\n".join(lines) + "\n"
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("field", ["title", "name"])
def test_checker_refuses_control_characters_with_the_line(tmp_path, capsys, field):
    p = _protocol_with(tmp_path, field, "Slecht\\u0007\\u001b[31m rood")
    assert main(["check", str(p)]) == 2
    out = capsys.readouterr()
    text = out.out + out.err
    assert "U+0007" in text and f"{p.name}:1" in text and "\x07" not in text


def test_checker_keeps_line_breaks_in_the_description(tmp_path, capsys):
    p = _protocol_with(tmp_path, "description", "regel een\\nregel twee")
    assert main(["check", str(p)]) == 0, capsys.readouterr()


def test_labels_are_checked_and_printed_safely(tmp_path, capsys):
    db = str(tmp_path / "a.sqlite3")
    with Archive(db) as ar:
        ar.store("pico-1", raw(session(1, dt.datetime(2026, 11, 2, 21).astimezone())))
    assert main(["device", "label", "pico-1", "Slecht\x07\x1b[31m rood", "--db", db]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ontspan: the label contains U+0007") and "\x07" not in err
    assert main(["device", "label", "nosuchid", "x", "--db", db]) == 2
    assert "no device 'nosuchid'" in capsys.readouterr().err
    # a label written by older code is escaped on the way out
    with Archive(db) as ar:
        ar.db.execute("UPDATE devices SET label = ? WHERE device_id = 'pico-1'", ("B\x1b[2J",))
        ar.db.commit()
    assert main(["device", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "B\\x1b[2J" in out and "\x1b" not in out


BAD = "Slecht\\u0007\\u001b[31m rood"  # as written in TOML: BEL, ESC


@pytest.mark.parametrize("old, field", [
    ('label = "benen, schouders, gezicht"', "label"),
    ('name = "benen"', "name"),
    ('instruction = "trek je tenen naar je toe en span je onder- en bovenbenen aan"',
     "instruction"),
])
def test_checker_refuses_control_characters_in_blocks_and_groups(tmp_path, capsys, old, field):
    src = (PROTOCOLS_DIR / "pmr-kort.toml").read_text(encoding="utf-8")
    assert old in src
    p = tmp_path / "bad.toml"
    p.write_text(src.replace(old, f'{field} = "{BAD}"', 1), encoding="utf-8")
    assert main(["check", str(p)]) == 2
    out = capsys.readouterr()
    text = out.out + out.err
    assert "U+0007" in text and field in text and "\x07" not in text and "\x1b" not in text


def test_plan_note_with_control_characters_is_refused():
    from ontspan.plan.check import parse_plan

    plan, diags = parse_plan(f'[plan]\nstart = "2026-12-01"\nweeks = 3\ntrial_sessions = 4\nnote = "{BAD}"\n[[moment]]\n'
                             'time = "21:30"\nprotocol = "pmr-kort"\n', "p.toml")
    errors = [str(d) for d in diags if d.severity == "error"]
    assert plan is None and any("U+0007" in e and "note" in e for e in errors), errors
    assert all("\x07" not in e and "\x1b" not in e for e in errors)


def test_check_escapes_a_key_and_a_file_name(tmp_path, capsys):
    src = (PROTOCOLS_DIR / "pmr-kort.toml").read_text(encoding="utf-8")
    p = tmp_path / "slecht\x07.toml"
    p.write_text('"ro\\u001bod" = 1\n' + src, encoding="utf-8")
    main(["check", str(p)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "slecht\\x07.toml" in text and "ro\\x1bod" in text, text
    assert "\x07" not in text and "\x1b" not in text


def test_top_level_error_is_escaped(capsys):
    assert main(["preview", "geen\x07bestand\x1b[2J.toml"]) != 0
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("ontspan: ") and "geen\\x07bestand\\x1b[2J" in err, err
    assert "\x07" not in err and "\x1b" not in err


def test_info_and_status_escape_names_from_the_device(monkeypatch, capsys):
    import contextlib
    import types

    from ontspan.cli import device as cmd_device

    st = types.SimpleNamespace(state_name="IDLE", flags=0, log_count=2, protocol=0)
    lk = types.SimpleNamespace(status=lambda: st)
    monkeypatch.setattr(cmd_device, "connect", lambda args: contextlib.nullcontext(lk))
    monkeypatch.setattr(cmd_device, "device_summary", lambda lk: {
        "device_id": "pico\x1b[2J", "port": "/dev/tty\x07", "firmware": "0.3",
        "link_version": "1.0", "table_format": 2,
            "device": {"heap": {"free": 90000, "used": 140000}, "faults": {"count": 0, "last": None}},
        "table": {"crc": "5eed5eed", "size": 100},
        "protocols": [{"id": 2, "name": "pmr\x1b[31m", "title": "Kort\u202e"}]})
    args = types.SimpleNamespace(json=False)
    assert cmd_device.cmd_info(args) == 0
    out = capsys.readouterr().out
    assert "pmr\\x1b[31m" in out and "Kort\\u202e" in out and "pico\\x1b[2J" in out, out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
