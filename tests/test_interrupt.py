"""Ctrl-C is one line, "ontspan: interrupted", exit 130: while the program's modules
load, while the command runs and after it; and an interrupted `logs pull` leaves
the archive as it was or with what arrived, never half a write or a second message."""

import contextlib
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import ontspan
import pytest
from ontspan.archive.store import Archive
from ontspan.cli import logs as cmd_logs
from ontspan.cli import main as cli
from synth_logs import FakeLink, session

ROOT = Path(__file__).resolve().parents[1]
HOST = Path(ontspan.__file__).parent
T0 = dt.datetime(2026, 11, 2, 21, 30).astimezone()
LINE = "ontspan: interrupted\n"

# The console script as pip writes it, after a finder that sends this process a
# SIGINT at the Nth import once the program's handler is in place (the first
# instruction of ontspan/__main__.py; the package's __init__ imports nothing).
_PROGRAM = textwrap.dedent("""
    import os, signal, sys
    N = int(sys.argv.pop(1))
    class Interrupt:
        seen = 0
        def find_spec(self, name, path=None, target=None):
            if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
                if not Interrupt.seen:
                    os.write(1, b"handler in place\\n")
                Interrupt.seen += 1
                if Interrupt.seen == N:
                    os.kill(os.getpid(), signal.SIGINT)
            return None
    sys.meta_path.insert(0, Interrupt())
    from ontspan.__main__ import run
    rc = run()
    print("imports", Interrupt.seen, file=sys.stderr)
    sys.exit(rc)
""")


def _program(n: int, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _PROGRAM, str(n), *argv],
                          capture_output=True, text=True, timeout=120)


def test_the_console_script_is_the_program_entry():
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert doc["project"]["scripts"]["ontspan"] == "ontspan.__main__:run"


def test_ctrl_c_during_any_import_is_one_line():
    argv = ("check", str(ROOT / "protocols" / "pmr-kort.toml"))
    clean = _program(0, *argv)
    assert clean.returncode == 0, clean.stderr
    total = int(clean.stderr.split()[-1])
    assert total > 20  # the command modules load after the handler is in place
    for n in sorted({1, 2, 3, 5, *range(8, total + 1, max(1, total // 25)), total}):
        res = _program(n, *argv)
        assert (res.returncode, res.stderr.split("imports")[0]) == (130, LINE), (n, res.stderr)


@pytest.mark.parametrize("delay", [0.0, 0.005, 0.02, 0.05, 0.1, 0.2])
def test_ctrl_c_at_any_moment_is_one_line(delay):
    """A real SIGINT `delay` s after the handler is in place: an interrupted command says
    one line and exits 130, one that finished first says nothing of it."""
    import time

    p = subprocess.Popen([sys.executable, "-c", _PROGRAM, "0", "check", str(ROOT / "protocols")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout is not None
    assert p.stdout.readline() == "handler in place\n"
    time.sleep(delay)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    if err.startswith("imports"):  # the command had finished: nothing is said of it
        # (a SIGINT in the interpreter's own shutdown, after the last line, ends it silently)
        assert p.returncode in (0, -signal.SIGINT) and "Traceback" not in out + err
    else:  # (the harness's own count of imports follows when run() returned)
        assert (p.returncode, err.split("imports")[0]) == (130, LINE)


# -- an interrupted pull, at every line of the archive write ---------------------------

_WRITE = ("archive/store.py", "archive/schema.py", "archive/writer.py", "archive/rows.py",
          "archive/sessions.py", "archive/pull.py")


def _records():
    recs = []
    for i in range(4):
        recs += session(1 + 2 * i, T0 + dt.timedelta(hours=i))
    return recs


@contextlib.contextmanager
def _interrupt_at(n: int):
    """KeyboardInterrupt at the nth line run in the archive-writing modules (0: never);
    yields a list that ends up holding how many lines ran."""
    count = [0]
    files = {str(HOST / f) for f in _WRITE}

    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
            if count[0] == n:
                raise KeyboardInterrupt
        return local

    def glob(frame, event, arg):
        return local if frame.f_code.co_filename in files else None

    sys.settrace(glob)
    try:
        yield count
    finally:
        sys.settrace(None)


def _pull_cli(monkeypatch, link, db: Path) -> tuple[int, str]:
    monkeypatch.setattr(cmd_logs, "open_link", lambda port: link)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = cli.main(["logs", "pull", "--port", "fake", "--db", str(db)])
    return rc, err.getvalue()


@pytest.fixture
def fast_dir(tmp_path):
    """A folder in memory where there is one: hundreds of archives are written."""
    import shutil
    import tempfile

    shm = Path("/dev/shm")
    d = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("existing", [False, True], ids=["new-archive", "existing-archive"])
def test_a_pull_interrupted_anywhere_rolls_back_with_one_line(monkeypatch, fast_dir, existing):
    recs = _records()
    seed = fast_dir / "seed.sqlite3"
    if existing:  # holds the first two sessions already
        from ontspan.archive.pull import pull

        with Archive(seed) as ar:
            pull(FakeLink("pico-a", recs[:4]), ar)

    def fresh_db() -> Path:  # a new archive is made (and migrated) by the pull itself
        db = fast_dir / "a.sqlite3"
        if existing:
            db.write_bytes(seed.read_bytes())
        return db

    for _ in range(2):  # (the first also loads modules, whose lines run only once)
        with _interrupt_at(0) as lines:
            assert _pull_cli(monkeypatch, FakeLink("pico-a", recs), fresh_db())[0] == 0
        fresh_db().unlink()
    total = lines[0]
    assert total > 100
    # (a few lines more or fewer from run to run: the pull waits on its reader thread)
    n, interrupted = 0, 0
    while n < total + 20:
        n += 1
        db = fresh_db()
        with _interrupt_at(n) as lines:
            rc, err = _pull_cli(monkeypatch, FakeLink("pico-a", recs), db)
        if lines[0] >= n:
            interrupted += 1
            assert (rc, err) == (130, LINE), f"interrupted at line {n} of about {total}"
        with Archive(db) as ar:  # opens cleanly; a pull again brings exactly the rest
            assert not ar.db.in_transaction
        rc, err = _pull_cli(monkeypatch, FakeLink("pico-a", recs), db)
        assert (rc, err) == (0, ""), f"after an interrupt at line {n}: {err}"
        with Archive(db) as ar:
            seqs = [r[0] for r in ar.db.execute("SELECT seq FROM records ORDER BY seq")]
            assert seqs == [r.seq for r in recs], f"interrupted at line {n}"
        db.unlink()
    assert interrupted >= total - 5


_SWALLOWED = textwrap.dedent("""
    import os, signal, sys, weakref
    import ontspan.__main__ as program
    class Thing:
        pass
    def command(argv=None):  # the SIGINT lands in a weakref callback, which can only ignore it
        thing = Thing()
        keep = weakref.ref(thing, lambda _: [os.kill(os.getpid(), signal.SIGINT)] + [0] * 99)
        del thing
        return 0
    program.main = command
    sys.exit(program.run())
""")


def test_an_interrupt_python_swallows_is_still_one_line():
    p = subprocess.run([sys.executable, "-c", _SWALLOWED], capture_output=True, text=True, timeout=120)
    assert (p.returncode, p.stderr) == (130, LINE)
