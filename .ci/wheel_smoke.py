"""The wheel is the product: use it as a therapist would, with nothing of the checkout.

Run by the Python of a fresh virtual environment holding only the built wheel
(with the `sim` extra), from an empty folder, in isolated mode (-I): the
checkout is not on sys.path. Every step goes through the installed `ontspan`.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ONTSPAN = str(BIN / ("ontspan.exe" if os.name == "nt" else "ontspan"))


def ontspan(*args: str, env: dict[str, str]) -> str:
    print("$ ontspan", " ".join(args), flush=True)
    res = subprocess.run([ONTSPAN, *args], capture_output=True, text=True, env=env, timeout=300)
    sys.stdout.write(res.stdout)
    sys.stderr.write(res.stderr)
    if res.returncode != 0:
        sys.exit(f"wheel smoke: `ontspan {' '.join(args)}` exited {res.returncode}")
    return res.stdout


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="ontspan-wheel-"))
    os.chdir(work)
    env = dict(os.environ, ONTSPAN_DATA=str(work / "data"), ONTSPAN_ARCHIVE=str(work / "archive.db"))
    env.pop("ONTSPAN_PORT", None)
    version = ontspan("--version", env=env).split()[-1]
    names = [r["name"] for r in json.loads(ontspan("library", "--json", env=env))]
    assert "pmr-17" in names and "adem-4-6" in names, names
    ontspan("check", *names, env=env)
    ontspan("new", "mijn-kort", "--from", "pmr-kort", env=env)
    ontspan("preview", "adem-4-6", "-o", "adem.png", env=env)

    # a simulated Pico with an empty flash image: until `ontspan install` puts firmware
    # there it runs the package's own (a sim must answer something); afterwards it
    # boots what install wrote, as a Pico does, so the files on /flash are checked
    sim = subprocess.Popen(
        [ONTSPAN, "sim", "--from-flash", "--headless", "--speed", "60", "--state", str(work / "dev")],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert sim.stdout is not None
        port = sim.stdout.readline().strip()
        assert port, "the sim printed no port"
        env["ONTSPAN_PORT"] = port
        out = ontspan("install", env=env)
        assert f"installed firmware {version}" in out, out
        ontspan("flash", "pmr-kort", "adem-4-6", env=env)
        info = json.loads(ontspan("info", "--json", env=env))
        assert info["firmware"] == version, (info, version)
        ontspan("start", "adem-4-6", env=env)
        deadline = time.monotonic() + 120  # bounds the wait only: 6 device-minutes at 60x
        while json.loads(ontspan("status", "--json", env=env))["state"] != "idle":
            if time.monotonic() > deadline:
                sys.exit("wheel smoke: the session did not end")
            time.sleep(1)
        pulled = json.loads(ontspan("logs", "pull", "--json", env=env))
        assert pulled["new"] >= 2, pulled  # START and END of the session
        # last, as it leaves the device at the REPL: install wrote the firmware to flash
        listing = subprocess.run(
            [sys.executable, "-m", "mpremote", "connect", port, "resume", "exec",
             "import os; print(sorted(os.listdir('/flash')))"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        assert "'main.py'" in listing and "'app.mpy'" in listing, listing
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    ontspan("report", "-o", "report.html", env=env)
    assert "adem-4-6" in Path("report.html").read_text(encoding="utf-8")
    app_smoke(env)
    shutil.rmtree(work, ignore_errors=True)
    print(f"wheel smoke: ontspan {version} installed, flashed, played, pulled and reported")
    return 0


def app_smoke(env: dict[str, str]) -> None:
    """`ontspan app --no-browser` prints its address; the wheel carries the templates,
    the style sheet and the vendored htmx the pages ask for."""
    import http.cookiejar
    import urllib.request

    print("$ ontspan app --no-browser", flush=True)
    app = subprocess.Popen([ONTSPAN, "app", "--no-browser"], stdout=subprocess.PIPE, text=True,
                           env=env)
    try:
        assert app.stdout is not None
        url = app.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "?token=" in url, url
        base = url.split("/?", 1)[0]
        web = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = web.open(url, timeout=30).read().decode()
        assert "Ontspan" in page and "htmx-" in page, page[:500]
        for path in ("/library/", "/static/app.css"):
            assert web.open(base + path, timeout=60).status == 200, path
    finally:
        app.terminate()
        app.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
