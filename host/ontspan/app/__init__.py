"""`ontspan app`: the therapist's desktop, a local web app over the same library the
CLI uses. Routes are a few lines that call library functions; templates show what
they return. `create_app(config)` builds one app (tests build their own)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..errors import OntspanError
from . import device, editor, library, patients, security, words
from .desk import Desk


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        TOKEN=secrets.token_urlsafe(32),  # opened once through the URL, then a cookie
        CSRF=secrets.token_urlsafe(32),  # in every form and htmx request
        SERVER_PORT=None,  # the port the server listens on: the Host header must name it
        EXTRA_HOSTS=(),  # another bind address, only with --allow-remote
        DEVICE_PORT=None,  # serial port; None: $ONTSPAN_PORT or the one Pico plugged in
        ARCHIVE=None,  # the archive file; None: the user's
        LANG=None,  # nl or en; None: from the system locale
        STATUS_EVERY="1s",  # how often the page asks the device's state
    )
    if config:
        app.config.update(config)
    app.extensions["ontspan.desk"] = Desk(app.config["DEVICE_PORT"])
    security.init(app)
    words.init(app)
    for bp in (library.bp, device.bp, patients.bp, editor.bp):
        app.register_blueprint(bp)

    @app.errorhandler(OntspanError)
    def refused(e: OntspanError) -> tuple[str, int]:
        return render_template("error.html", message=str(e)), 400

    @app.get("/")
    def home() -> Response:
        return redirect(url_for("patients.index"))

    return app
