"""`ontspan check`, `compile` and `preview` as a user runs them: output, exit codes, files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ontspan.cli.main import main
from ontspan.paths import PROTOCOLS_DIR
from ontspan.protocols.compiler import table_crc
from ontspan.protocols.decoder import decode_table

BAD = Path(__file__).parent / "data" / "bad"
VENV_BIN = Path(sys.executable).parent
GOOD = 'id = 3\nname = "goed"\ntitle = "Goed"\n[[block]]\ntype = "rest"\nminutes = 5\n'


def test_check_clean_library_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(PROTOCOLS_DIR)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("0 error(s), 0 warning(s)")


def test_check_errors_exit_2_with_path_line_messages(capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "tense-too-long.toml"
    assert main(["check", str(path)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{path}:12: error: block[0].groups[0].tense_s: ")
    assert lines[-1] == "1 file(s) checked: 1 error(s), 0 warning(s)"


def test_check_warnings_only_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(BAD / "warnings.toml")]) == 0
    out = capsys.readouterr().out
    assert ":16: warning: " in out and "0 error(s), 5 warning(s)" in out


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", str(BAD / "motor-too-strong.toml")]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    keys = {d["key"]: d for d in doc["diagnostics"]}
    assert keys["style.motor_strength"]["line"] == 7
    assert keys["style.motor_strength"]["severity"] == "error"


def test_check_never_tracebacks_on_any_bad_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "bin.toml").write_bytes(bytes(range(256)))
    files = [str(p) for p in BAD.glob("*.toml")] + [
        str(tmp_path / "bin.toml"),
        str(tmp_path / "gone.toml"),
    ]
    assert main(["check", *files]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "gone.toml: error: no such file" in captured.out


def test_toml_syntax_errors_say_line_column_and_what_is_wrong(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = {
        'id = 1\nname = "open\n': '2:8: error: not valid TOML: a quote is not closed: the text '
                                   'that starts here needs a closing " on the same line',
        "id = 1\ntense_s = 5s\n": "2:12: error: not valid TOML: `5s`: a number cannot have a unit "
                                 "after it; write the number alone, the key's name says the unit",
        'id = 1\nname "x"\n': "2:6: error: not valid TOML: missing `=` after `name`: write `key = value`",
        "title = Rust\n": '1:9: error: not valid TOML: not a value: text needs quotes ("like this")',
    }
    for i, (text, said) in enumerate(cases.items()):
        path = tmp_path / f"c{i}.toml"
        path.write_text(text)
        assert main(["check", str(path)]) == 2
        assert capsys.readouterr().out.startswith(f"{path}:{said}"), text


def test_a_typo_of_a_library_name_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "pmr-krot"]) == 2
    assert capsys.readouterr().out.startswith(
        "pmr-krot: error: no such file, nor a library protocol of that name; did you mean pmr-kort?")
    assert main(["new", "mine", "--from", "adem46"]) == 2
    assert "no such library protocol; did you mean adem-4-6?" in capsys.readouterr().err


def test_compile_writes_table_and_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "sub" / "table.bin"
    assert main(["compile", str(PROTOCOLS_DIR), "-o", str(out)]) == 0
    data = out.read_bytes()
    printed = capsys.readouterr().out
    assert f"{len(data)} bytes" in printed and f"CRC {table_crc(data)}" in printed
    names = json.loads((tmp_path / "sub" / "table.names.json").read_text())
    assert names["1"]["name"] == "pmr-17"
    assert {p.id for p in decode_table(data).programs} == {int(k) for k in names}


def test_compile_default_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.toml").write_text(GOOD)
    assert main(["compile", "p.toml"]) == 0
    assert (tmp_path / "build" / "table.bin").exists()
    assert (tmp_path / "build" / "table.names.json").exists()


def test_compile_refuses_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "t.bin"
    assert main(["compile", str(BAD / "session-too-long.toml"), "-o", str(out)]) == 2
    assert not out.exists()
    assert "90 min" in capsys.readouterr().err


def test_compile_refuses_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD)
    (tmp_path / "b.toml").write_text(GOOD.replace('"goed"', '"ander"'))
    assert main(["compile", str(tmp_path), "-o", str(tmp_path / "t.bin")]) == 2


def test_preview_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "--json", str(PROTOCOLS_DIR / "pmr-kort.toml")]) == 0
    doc = json.loads(capsys.readouterr().out)
    first = doc["edges"][0]
    assert {k: first[k] for k in ("t_ms", "kind", "block", "group", "block_label", "group_name")} == {
        "t_ms": 0,
        "kind": "POSITION",
        "block": 0,
        "group": 0,
        "block_label": "benen, schouders, gezicht",
        "group_name": "benen",
    }
    assert first["light"]["peak"] >= 3 and first["motor"]["signature"][0] == 1  # legs: one tap
    assert doc["edges"][-1]["kind"] == "END"
    assert doc["duration_ms"] == doc["edges"][-1]["t_ms"] + 3000


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_preview_picture(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"t{suffix}"
    assert main(["preview", str(PROTOCOLS_DIR / "avondritueel.toml"), "-o", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert main(["preview", "--night", str(PROTOCOLS_DIR / "lijf-check.toml"), "-o", str(out)]) == 0


def test_preview_refuses_bad_file_and_bad_suffix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["preview", str(BAD / "bad-colour.toml")]) == 2
    assert (
        main(["preview", str(PROTOCOLS_DIR / "adem-4-6.toml"), "-o", str(tmp_path / "x.gif")]) == 2
    )


def test_check_as_a_real_command() -> None:
    exe = VENV_BIN / "ontspan"
    assert exe.exists(), "the venv (make setup) installs the ontspan command"
    res = subprocess.run(
        [str(exe), "check", str(BAD / "unknown-key.toml"), str(PROTOCOLS_DIR / "adem-4-6.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert ":8: error: block[0].tense: unknown key `tense` (did you mean `tense_s`?)" in res.stdout
    assert res.stdout.strip().endswith("2 file(s) checked: 1 error(s), 0 warning(s)")
    assert "Traceback" not in res.stderr


def test_a_typo_of_a_flashed_name_gets_did_you_mean() -> None:
    from ontspan.device.names import resolve
    from ontspan.errors import InputError

    names = {"1": {"name": "pmr-kort"}, "2": {"name": "adem-4-6"}}
    assert resolve("pmr-kort", names, [1, 2]) == 1
    with pytest.raises(InputError, match=r"no protocol named 'pmr-krot' on the device; did you mean pmr-kort\?$"):
        resolve("pmr-krot", names, [1, 2])
    with pytest.raises(InputError, match=r"; it has: pmr-kort \(1\), adem-4-6 \(2\)$"):
        resolve("zzz", names, [1, 2])
