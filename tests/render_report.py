"""Render an HTML report to a PNG with headless chromium (tests and bench)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render_png(browser: str, page: str, png: Path, tmp: Path, width: int = 900,
               height: int = 4200) -> None:
    html = tmp / "report.html"
    html.write_text(page, encoding="utf-8")
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={png}", f"--window-size={width},{height}", html.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
