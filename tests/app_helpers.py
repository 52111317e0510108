"""Building the app for tests: a known token, a signed-in test client whose requests
look like the browser's (Host and Origin of the server)."""

from __future__ import annotations

import re

PORT = 5123
BASE = f"http://127.0.0.1:{PORT}"


def make_app(tmp_path, **config):
    from ontspan.app import create_app

    return create_app({"TOKEN": "t0ken", "CSRF": "csrf-1", "SERVER_PORT": PORT,
                       "ARCHIVE": str(tmp_path / "archive.sqlite3"), "LANG": "en", **config})


def signed_in(app):
    c = app.test_client()
    r = c.get("/?token=t0ken", base_url=BASE)
    assert r.status_code == 302, r.data
    return c


def get(c, url, **kw):
    return c.get(url, base_url=BASE, **kw)


def post(c, url, data=None, htmx=True, **kw):
    headers = {"Origin": BASE, **({"HX-Request": "true"} if htmx else {}), **kw.pop("headers", {})}
    return c.post(url, base_url=BASE, data={"csrf": "csrf-1", **(data or {})}, headers=headers, **kw)


def text(r) -> str:
    """The visible words of a response, tags stripped."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.get_data(as_text=True)))
