"""Every command but `sim` works where termios, pty and fcntl do not exist (Windows)."""

import json
import subprocess
import sys
import textwrap

# runs in a fresh interpreter where the POSIX terminal modules cannot be imported
_BLOCKED = textwrap.dedent(
    """
    import contextlib, io, json, sys
    for name in ("termios", "pty", "fcntl", "tty"):
        sys.modules[name] = None  # import raises ImportError, as on Windows
    from ontspan.cli import main as cli

    def run(*argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = cli.main(list(argv))
            except SystemExit as e:  # argparse --help
                rc = e.code
        return {"argv": list(argv), "rc": rc, "out": out.getvalue(), "err": err.getvalue()}

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    results = [run("--help")]
    for name, p in sub.choices.items():
        results.append(run(name, "--help"))
        for a in p._actions:  # nested commands: logs pull, config get, device label ...
            if getattr(a, "choices", None) and isinstance(a.choices, dict):
                results.extend(run(name, sub2, "--help") for sub2 in a.choices)
    out_dir = sys.argv[1]
    results.append(run("check", "pmr-17", "adem-4-6"))
    results.append(run("compile", "pmr-kort", "adem-4-7-8", "-o", out_dir + "/table.bin"))
    results.append(run("preview", "adem-4-6", "-o", out_dir + "/adem.png"))
    results.append(run("preview", "pmr-kort", "--json"))
    results.append(run("library"))
    results.append(run("sim", "--headless"))
    print(json.dumps(results))
    """
)


def test_every_command_without_posix_terminal_modules(tmp_path):
    res = subprocess.run(
        [sys.executable, "-c", _BLOCKED, str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    results = json.loads(res.stdout)
    helps = [r for r in results if r["argv"][-1] == "--help"]
    assert len(helps) > 15  # every command and subcommand was asked
    for r in results[:-1]:
        assert r["rc"] == 0, (r["argv"], r["err"])
        assert "Traceback" not in r["err"]
    for r in helps:
        assert "usage: ontspan" in r["out"], r["argv"]
    assert (tmp_path / "table.bin").stat().st_size > 0
    assert (tmp_path / "adem.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sim = results[-1]
    assert sim["rc"] == 1
    assert sim["err"].count("\n") == 1 and "POSIX" in sim["err"], sim["err"]
