"""The build cache of `ontspan flash`: the same protocol files (and the same ontspan)
give the kept table without loading the checker and compiler, warnings said again; an
edited file, a damaged entry or files with errors compile as before."""

import json
import shutil
import subprocess
import sys

import pytest
from ontspan.device import buildcache
from ontspan.device.flash import build, build_cached
from ontspan.errors import InputError
from ontspan.paths import PROTOCOLS_DIR


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setenv("ONTSPAN_DATA", str(tmp_path / "data"))
    d = tmp_path / "protocols"
    d.mkdir()
    for name in ("pmr-kort.toml", "adem-4-6.toml"):
        shutil.copy(PROTOCOLS_DIR / name, d / name)
    return d


def test_the_same_files_take_the_kept_table_without_the_compiler(files, tmp_path):
    first = build_cached([files])
    assert (first.table, first.crc, first.names) == (lambda b: (b.table, b.crc, b.names))(build([files]))
    code = (
        "import sys\n"
        "from ontspan.device.flash import build_cached\n"
        f"b = build_cached([{str(files)!r}], print)\n"
        "print(b.crc, b.count, b.listing())\n"
        "print(sorted(m for m in sys.modules if m.startswith('ontspan.protocols.')))\n"
    )
    env = {"ONTSPAN_DATA": str(tmp_path / "data"), "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    crc_line, modules = out.stdout.strip().splitlines()[-2:]
    assert crc_line == f"{first.crc} 2 {first.listing()}"
    assert modules == "[]"  # neither parser, checker nor compiler was loaded


def test_an_edit_compiles_afresh_and_warnings_are_said_again(files):
    before = build_cached([files])
    f = files / "pmr-kort.toml"
    f.write_text(f.read_text(encoding="utf-8").replace("tense_s = 6", "tense_s = 10", 1), encoding="utf-8")
    said: list[str] = []
    after = build_cached([files], said.append)
    assert after.table != before.table and after.protocols  # compiled
    assert said and all(": warning: " in w for w in said) and "5 to 7 s is recommended" in said[0], said
    again: list[str] = []
    kept = build_cached([files], again.append)
    assert kept.table == after.table and kept.protocols == ()  # from the cache
    assert again == said
    assert len(buildcache._entries()) == 2


def test_a_damaged_entry_is_no_entry(files):
    b = build_cached([files])
    path = buildcache._file()
    doc = json.loads(path.read_text(encoding="utf-8"))
    (k,) = doc
    t = bytearray.fromhex(doc[k]["table"])
    t[10] ^= 1
    doc[k]["table"] = t.hex()
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert buildcache.load(k) is None
    again = build_cached([files])
    assert again.table == b.table and again.protocols  # compiled afresh


def test_files_with_errors_are_never_kept(files):
    (files / "kapot.toml").write_text('id = "x"\n', encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError):
            build_cached([files])
    assert buildcache._entries() == {}
