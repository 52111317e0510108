"""The standard library by name: `ontspan library`, names in check/preview/compile, `new`."""

import json

from ontspan import catalog
from ontspan.cli.main import main
from ontspan.protocols.parser import load_protocol


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_library_lists_every_shipped_protocol(capsys):
    rc, out, _ = run(capsys, "library", "--json")
    assert rc == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == sorted(p.stem for p in catalog.library_files())
    by_name = {r["name"]: r for r in rows}
    assert by_name["pmr-17"]["kind"] == "pmr" and by_name["adem-4-6"]["kind"] == "breathing"
    assert by_name["avondritueel"]["kind"] == "ritual"
    assert 20 < by_name["pmr-17"]["minutes"] < 30  # 17 groups, seed: tense 5-7 s, feel 20-30 s
    for path in catalog.library_files():
        assert by_name[path.stem]["title"] == load_protocol(path)[0].title
    # what each asks: a trial needs before and after; bedtime protocols ask none
    assert (by_name["pmr-17"]["asks"], by_name["adem-4-6"]["asks"],
            by_name["avondritueel"]["asks"]) == ("both", "after", "none")
    rc, out, _ = run(capsys, "library")  # the table a therapist reads
    assert rc == 0 and load_protocol(catalog.resolve("pmr-17"))[0].title in out
    assert any(line.startswith("avondritueel") and "rates none" in line
               for line in out.splitlines())


def test_names_work_where_files_do_and_a_local_file_wins(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run(capsys, "check", "pmr-17", "adem-4-6")
    assert rc == 0 and "2 file(s) checked: 0 error(s)" in out
    assert run(capsys, "compile", "pmr-kort", "-o", "t.bin")[0] == 0
    assert (tmp_path / "t.bin").stat().st_size > 0
    assert run(capsys, "preview", "adem-4-6", "--json")[0] == 0
    (tmp_path / "pmr-17").write_text("not toml [")  # a file called pmr-17 here is what is meant
    rc, out, _ = run(capsys, "check", "pmr-17")
    assert rc == 2 and "pmr-17" in out
    rc, out, _ = run(capsys, "check", "no-such-protocol")
    assert rc == 2


def test_new_copies_with_own_name_and_free_id(capsys, tmp_path):
    a, b = tmp_path / "anna.toml", tmp_path / "bram.toml"
    assert run(capsys, "new", str(a), "--from", "avondritueel")[0] == 0
    assert run(capsys, "new", str(b), "--from", "avondritueel")[0] == 0
    pa, _ = load_protocol(a)
    pb, _ = load_protocol(b)
    lib, _ = load_protocol(catalog.find("avondritueel"))
    assert pa and pb and lib
    assert (pa.name, pb.name) == ("anna", "bram")
    assert len({pa.id, pb.id, lib.id}) == 3
    assert pa.blocks == lib.blocks  # everything else as in the library
    rc, out, _ = run(capsys, "check", str(a), str(b), "avondritueel")
    assert rc == 0, out
    rc, _, err = run(capsys, "new", str(a), "--from", "avondritueel")
    assert rc == 2 and "exists" in err
    rc, _, err = run(capsys, "new", "x", "--from", "nope")
    assert rc == 2 and "pmr-17" in err  # names what is allowed
