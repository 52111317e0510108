"""The command table of `ontspan`: one definition (cli.main.COMMANDS) of which module
registers which command; a run loads only its own command's module, and help, usage and
argparse's errors read exactly as with every module loaded."""

import argparse
import contextlib
import importlib
import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ontspan.cli import main as cli
from ontspan.cli import progress

ROOT = Path(__file__).resolve().parents[1]


def _registered_by_each_module() -> dict[str, str]:
    parser = argparse.ArgumentParser(prog="ontspan")
    sub = parser.add_subparsers(dest="command")
    owner: dict[str, str] = {}
    for name in cli.COMMAND_MODULES:
        before = set(sub.choices)
        importlib.import_module(name).register(sub)
        owner |= {command: name for command in sub.choices if command not in before}
    assert list(owner) == list(sub.choices)
    return owner


def test_the_command_table_is_exactly_what_the_modules_register():
    owner = _registered_by_each_module()
    assert owner == cli.COMMANDS
    assert list(owner) == list(cli.COMMANDS)  # the order `--help` lists them in
    assert cli.COMMAND_MODULES == list(dict.fromkeys(cli.COMMANDS.values()))


def _paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every command path: (), ("flash",), ("logs",), ("logs", "pull"), ..."""
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _paths(child, (*path, name))


def _run(run, argv: list[str]) -> tuple[object, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = run(argv)
        except SystemExit as e:  # --help, --version, argparse's errors
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def _whole_program(argv: list[str]) -> int:
    """main as it was with every command module registered for every run."""
    parser = cli.build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    raise AssertionError(f"{argv} would run a command")


def _help_and_error_argvs() -> list[list[str]]:
    argvs = [[], ["--help"], ["-h", "flash"], ["--version"], ["flsh"], ["Flash"], ["--", "flash"],
             ["logs"], ["logs", "pul"], ["config"], ["flash"], ["start"]]
    for path in _paths(cli.build_parser()):
        argvs += [[*path, "--help"], [*path, "--no-such-option"]]
    return argvs


@pytest.mark.parametrize("argv", _help_and_error_argvs(), ids=" ".join)
def test_help_usage_and_errors_read_as_with_every_command_loaded(monkeypatch, argv):
    monkeypatch.setenv("COLUMNS", "100")
    whole = _run(_whole_program, argv)
    assert whole[0] != 0 or whole[1]  # (something is said: help, or an error)
    assert _run(cli.main, argv) == whole


def test_the_top_level_help_lists_every_command_in_table_order():
    _, out, _ = _run(cli.main, ["--help"])
    listed = [m[1] for m in re.finditer(r"^    (\S+)", out, re.M)]  # (wrapped help: deeper)
    assert listed == list(cli.COMMANDS)


# a fresh interpreter: which modules does a run load?
_LOADED = textwrap.dedent("""
    import contextlib, io, json, sys
    from ontspan.cli.main import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            rc = main(sys.argv[1:])
        except SystemExit as e:
            rc = e.code
    print(json.dumps({"rc": rc, "modules": sorted(sys.modules)}))
""")


def _loaded(*argv: str) -> set[str]:
    p = subprocess.run([sys.executable, "-c", _LOADED, *argv], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["rc"] == 0, (argv, doc["rc"])
    return set(doc["modules"])


def test_flash_loads_its_own_command_module_and_no_other():
    mods = _loaded("flash", "--dry-run", str(ROOT / "protocols"))
    assert {m for m in mods if m.startswith("ontspan.cli.")} == {
        "ontspan.cli.main", "ontspan.cli.device", "ontspan.cli.common", "ontspan.cli.progress"}
    assert "ontspan.device.flash" in mods
    # the plan checker, the archive, the progress bar (no terminal here), the "did you
    # mean" matcher (no typo here): not for flash
    assert not {m for m in mods
                if m.startswith(("ontspan.plan.check", "ontspan.archive", "tqdm", "difflib"))}


def test_status_does_not_load_the_protocol_compiler():
    mods = _loaded("status", "--help")
    assert "ontspan.cli.device" in mods
    assert not {m for m in mods if m.startswith(("ontspan.device.flash", "ontspan.protocols",
                                                 "ontspan.cli.protocols"))}


def test_help_loads_every_command_module():
    assert set(cli.COMMAND_MODULES) <= _loaded("--help")


# -- progress bars: tqdm on a terminal, nothing loaded off one ---------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_is_drawn_on_a_terminal_only(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with progress.progress_bar(total=10, desc="upload") as bar:
        assert bar is None
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    with progress.progress_bar(False, total=10, desc="upload") as bar:
        assert bar is None  # (output for a program: --json)
    with progress.progress_bar(total=10, desc="upload") as bar:
        assert bar is not None
        bar.update(4)
    assert "upload" in term.getvalue() and "4/10" in term.getvalue()
