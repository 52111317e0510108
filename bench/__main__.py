"""Run the benchmark suites, print a table, write JSON per suite.

    python -m bench               every suite at full size, goals beside the figures;
                                  JSON in bench/results/
    python -m bench link logs     only these suites
    python -m bench --quick       every suite at a few iterations, to prove the bench
                                  still runs (CI); no goals; JSON in build/bench-quick/
    python -m bench pico          a suite run only when named (ON_REQUEST)

Exit status: 1 if a suite failed to run or reported a value that is not a finite
number; a missed goal is a finding to read, not a broken run (exit 0).
"""

import argparse
import contextlib
import importlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).parent
RESULTS = BENCH / "results"
QUICK_RESULTS = BENCH.parent / "build" / "bench-quick"
SUITES = ["boot", "protocols", "link", "logs", "heap", "powercut", "firmware"]
SUITES.append("cues")  # LED bytes per cue kind day and night; motor on-time
SUITES.append("archive")  # archive store rate; the report as a PNG
SUITES.append("budget")  # device time per link command, flash round trips, LED frame gaps
SUITES.append("builder")  # the protocol editor: preview after one edit
SUITES.append("app")  # the patient page with three weeks of sessions; Load against flash
# run only when named (`make bench-pico`): they need an instrument beside the checkout
ON_REQUEST = ["pico"]  # heap, boot, frame gaps and flash time on an emulated Pico (rp2 port)


def malformed(metrics: object) -> list[str]:
    """Why `metrics` is not a list of well-formed metric(...) dicts (empty if it is)."""
    if not isinstance(metrics, list) or not metrics:
        return ["run() returned no metrics"]
    bad = []
    for m in metrics:
        if not isinstance(m, dict) or not {"name", "value", "unit"} <= m.keys():
            bad.append(f"not a metric: {m!r}")
            continue
        v = m["value"]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            bad.append(f"{m['name']}: value {v!r} is not a finite number")
    return bad


def _print(short: str, metrics: list[dict], quick: bool) -> int:
    """The suite's table; returns how many goals were missed (full run only)."""
    print(f"\n{short}")
    width = max(len(m["name"]) for m in metrics)
    missed = 0
    for m in metrics:
        line = f"  {m['name']:<{width}} {m['value']:>10} {m['unit']:<11}"
        if not quick and "goal" in m:
            missed += m.get("ok") is False
            line += f" goal {m['goal']:<8} {'ok' if m.get('ok') else 'MISSED'}"
        print(line.rstrip())
    return missed


def _code_version() -> str:
    """The commit the figures describe, marked when the checkout has changes beside it."""
    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=BENCH.parent, capture_output=True,
                                  text=True, timeout=30).stdout.strip()
        except OSError:
            return ""
    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--", "firmware", "host") else "")


@contextlib.contextmanager
def private_user_data():
    """The suites flash and pull as a therapist would; the protocol names and archives
    that leaves go to a temporary folder, never the user's (nor do a suite's processes')."""
    tmp = Path(tempfile.mkdtemp(prefix="ontspan-bench-data-"))
    saved = {k: os.environ.get(k) for k in ("ONTSPAN_DATA", "ONTSPAN_ARCHIVE")}
    os.environ.update(ONTSPAN_DATA=str(tmp / "data"), ONTSPAN_ARCHIVE=str(tmp / "archive.sqlite3"))
    try:
        yield tmp
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    with private_user_data():
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("only", nargs="*", metavar="suite",
                    help=f"suites to run ({', '.join(SUITES + ON_REQUEST)}); all but "
                    f"{', '.join(ON_REQUEST)} when none is named")
    ap.add_argument("--quick", action="store_true",
                    help="few iterations, no goals: does every suite still run?")
    ap.add_argument("--out", type=Path, help="where the JSON goes (default: see above)")
    args = ap.parse_args(argv)
    unknown = [s for s in args.only if s not in SUITES + ON_REQUEST]
    if unknown:
        ap.error(f"no suite {', '.join(unknown)}; the suites are {', '.join(SUITES + ON_REQUEST)}")
    out_dir = args.out or (QUICK_RESULTS if args.quick else RESULTS)
    out_dir.mkdir(parents=True, exist_ok=True)
    broken: list[str] = []
    missed = 0
    for short in SUITES + ON_REQUEST:
        if short not in (args.only or SUITES):
            continue
        t0 = time.monotonic()
        try:
            metrics = importlib.import_module(f"bench.{short}").run(quick=args.quick)
        except (Exception, SystemExit) as e:  # suites end with SystemExit(why) when a step fails
            print(f"\n{short}: FAILED", file=sys.stderr)
            if isinstance(e, SystemExit):
                print(e.code, file=sys.stderr)
            else:
                traceback.print_exc()
            broken.append(short)
            continue
        problems = malformed(metrics)
        if problems:
            print(f"\n{short}: FAILED, bad metrics:\n  " + "\n  ".join(problems), file=sys.stderr)
            broken.append(short)
            continue
        out = {
            "suite": short,
            "quick": args.quick,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "code": _code_version(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "seconds": round(time.monotonic() - t0, 2),
            "metrics": metrics,
        }
        path = out_dir / f"{short}.json"
        before = json.loads(path.read_text()).get("before") if path.exists() else None
        if before:  # figures of an earlier commit kept beside the new ones for comparison
            out["before"] = before
        path.write_text(json.dumps(out, indent=2) + "\n")
        missed += _print(short, metrics, args.quick)
    print(f"\nresults in {out_dir}/")
    if missed:
        print(f"{missed} goal(s) missed (marked MISSED above)")
    if broken:
        print(f"bench FAILED: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
