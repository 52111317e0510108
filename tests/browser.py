"""Headless Chromium (Debian's `chromium` and `chromium-driver`) driving a real
`ontspan app` server: the harness of the `browser` tests, the screenshots and the
page bench. Nothing is fetched but 127.0.0.1: every other host fails to resolve."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = os.environ.get("ONTSPAN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ONTSPAN_CHROMEDRIVER", "/usr/bin/chromedriver")
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return f"no {path}: `apt-get install chromium chromium-driver` (see README)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements-dev.txt)"
    return None


def chrome(width: int = 1280, height: int = 1000, lang: str = "en"):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", OFFLINE, "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--disable-extensions",
                "--no-default-browser-check", "--disable-features=Translate,OptimizationHints",
                f"--lang={lang}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def requested_urls(driver) -> list[str]:
    """Every URL the page asked the network for since the last call (DevTools log)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


class AppServer:
    """`ontspan app --no-browser` as a therapist starts it; the URL it prints."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ontspan.cli", "app", "--no-browser", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"ontspan app printed {self.url!r}: {self.proc.stderr.read()}")
        self.base = self.url.split("/?", 1)[0]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
