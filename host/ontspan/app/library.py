"""Library: the standard protocols with kind, minutes, what they ask, a preview picture."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, abort, render_template
from werkzeug.wrappers import Response

from ..preview.picture import png
from ..preview.terminal import block_names
from ..protocols.library import entry, library_protocols

bp = Blueprint("library", __name__, url_prefix="/library")


@bp.get("/")
def index() -> str:
    return render_template("library.html", entries=[entry(p) for p in library_protocols()])


@lru_cache(maxsize=32)
def _picture(name: str) -> bytes | None:
    for p in library_protocols():
        if p.name == name:
            return png(p, night=False, names=block_names(p))
    return None


@bp.get("/<name>.png")
def picture(name: str) -> Response:
    data = _picture(name)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/png")
