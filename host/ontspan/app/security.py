"""Who may talk to the app, as the careful local servers do it (Jupyter, Datasette):

- a random token per launch, opened once through the URL and swapped for an
  HttpOnly SameSite=Strict cookie; every request without that cookie is refused;
- the Host header must be 127.0.0.1:PORT or localhost:PORT (DNS rebinding);
- every state change is a POST with the launch's CSRF token and an Origin of this
  very server; other methods (OPTIONS: no CORS) are refused;
- pages may not be framed by other sites, load nothing from elsewhere, and are
  never cached.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from flask import Flask, abort, current_app, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

COOKIE = "ontspan_token"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE = ("GET", "HEAD")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'")
# the report is the CLI's own HTML file: its style sheet is inline
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"


def init(app: Flask) -> None:
    app.before_request(guard)
    app.after_request(headers)
    app.config.setdefault("TOKEN_USED", False)


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def allowed_hosts() -> set[str]:
    port = current_app.config["SERVER_PORT"]
    names = ("127.0.0.1", "localhost", *current_app.config["EXTRA_HOSTS"])
    return {f"{n}:{port}" for n in names} if port else set(names)


def refuse(status: int, why: str) -> Response:
    resp = make_response(render_template("refused.html", why=why), status)
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    return resp


def guard() -> Response | None:
    cfg = current_app.config
    if request.host not in allowed_hosts():
        return refuse(400, f"this app answers at 127.0.0.1 only, not at {request.host}")
    token = request.args.get("token")
    has_cookie = _same(request.cookies.get(COOKIE), cfg["TOKEN"])
    if token is not None:
        if not has_cookie and (cfg["TOKEN_USED"] or not _same(token, cfg["TOKEN"])):
            return refuse(403, "this sign-in address is not valid (any more): each start of "
                               "`ontspan app` prints a new one")
        cfg["TOKEN_USED"] = True
        rest = {k: v for k, v in request.args.items() if k != "token"}
        resp = redirect(request.path + ("?" + urlencode(rest) if rest else ""))
        resp.set_cookie(COOKIE, cfg["TOKEN"], httponly=True, samesite="Strict", path="/")
        return resp
    if not has_cookie:
        return refuse(403, "open the app through the address `ontspan app` printed")
    if request.method in SAFE:
        return None
    if request.method != "POST":
        abort(405)
    if request.headers.get("Origin") != f"http://{request.host}":
        return refuse(403, "a change from another site or without an Origin was refused")
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not _same(sent, cfg["CSRF"]):
        return refuse(403, "the form is out of date: reload the page and try again")
    return None


def headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"  # no-referrer would make the Origin of a form "null"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers.pop("Access-Control-Allow-Origin", None)
    return resp
