"""The bench runner (bench/__main__.py) fails a run whose suites break, and keeps the
quick pass's JSON away from the full results. The suites themselves run in
`make bench-quick` (CI) and `make bench`."""

import json
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, where bench/ is
from bench import __main__ as runner  # noqa: E402
from bench.common import metric  # noqa: E402


def _suites(monkeypatch, **runs):
    """Stand-in suites: name -> run(quick)."""
    monkeypatch.setattr(runner, "SUITES", list(runs))
    mods = {f"bench.{k}": types.SimpleNamespace(run=v) for k, v in runs.items()}
    monkeypatch.setattr(runner.importlib, "import_module", lambda name: mods[name])


def test_every_suite_takes_quick():
    import inspect

    for name in runner.SUITES:
        mod = __import__(f"bench.{name}", fromlist=["run"])
        assert "quick" in inspect.signature(mod.run).parameters, name


def test_a_broken_suite_fails_the_run_and_the_others_still_run(monkeypatch, tmp_path, capsys):
    seen = []

    def good(quick):
        seen.append(quick)
        return [metric("x", 1.5, "ms", "< 2", True)]

    def broken(quick):
        raise ImportError("cannot import name 'edge_lines'")

    _suites(monkeypatch, a=broken, b=good, c=lambda quick: [metric("nan", float("nan"), "ms")])
    assert runner.main(["--quick", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "edge_lines" in err and "nan: value nan is not a finite number" in err
    assert "bench FAILED: a, c" in err
    assert seen == [True]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]


def test_quick_writes_beside_the_full_results_and_hides_goals(monkeypatch, tmp_path, capsys):
    _suites(monkeypatch, a=lambda quick: [metric("late", 3, "ms", "<= 2", False)])
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(runner, "QUICK_RESULTS", tmp_path / "quick")
    assert runner.main(["--quick"]) == 0
    assert "goal" not in capsys.readouterr().out
    doc = json.loads((tmp_path / "quick" / "a.json").read_text())
    assert doc["quick"] is True and doc["metrics"][0]["value"] == 3
    assert not (tmp_path / "results").exists()
    # the full run prints the goal beside the figure; a missed goal is no broken run
    assert runner.main([]) == 0
    out = capsys.readouterr().out
    assert "goal <= 2" in out and "MISSED" in out
    assert json.loads((tmp_path / "results" / "a.json").read_text())["quick"] is False


def test_unknown_suite_is_an_input_error(capsys):
    with pytest.raises(SystemExit) as e:
        runner.main(["nosuch"])
    assert e.value.code == 2 and "no suite nosuch" in capsys.readouterr().err


def test_suites_never_write_the_users_names_or_archive(monkeypatch, tmp_path):
    from ontspan.archive.store import default_path
    from ontspan.device.names import data_dir

    before = (data_dir(), default_path())
    seen = []

    def flashes(quick):
        seen.append((data_dir(), default_path()))
        return [metric("x", 1.0, "ms")]

    _suites(monkeypatch, flashes=flashes)
    assert runner.main(["--quick", "--out", str(tmp_path)]) == 0
    (names, archive), = seen
    assert names.name == "data" and names.parent.name.startswith("ontspan-bench-data-")
    assert archive.parent == names.parent
    assert not names.parent.exists()  # gone after the run
    assert (data_dir(), default_path()) == before
