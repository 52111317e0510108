"""The protocol editor: a patient's protocol as a form, started from a library protocol
or the patient's own file (never a blank form), saved under the patient.

Every change goes into a draft of the file (protocols/editing.py) and the page
shows the checker's own words beside each field; the live timeline is the device
preview as an SVG fragment; Feel plays a cue or a block on the connected device
through the library function `ontspan feel` uses (device/feel.py)."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..archive import patients as pt
from ..archive.protocol_files import patient_protocols, protocol_file, protocols_dir
from ..archive.store import Archive
from ..catalog import resolve
from ..device.feel import play_as
from ..device.live import open_link
from ..errors import InputError, OntspanError
from ..preview.svg import preview_svg
from ..protocols import breathing
from ..protocols.compiler import compile_table
from ..protocols.editing import Draft, HandEdited, SaveRefused
from ..protocols.form import BLOCK_TYPES, Form, by_field, parse_key
from ..protocols.haptics import KINDS
from ..protocols.library import library_entries
from ..protocols.model import BreathBlock, CheckBlock, PmrBlock, Protocol, RepeatBlock, RestBlock
from .device import desk, respond

bp = Blueprint("editor", __name__, url_prefix="/editor")
# a new block starts as a small one that checks clean (never an empty form)
NEW_BLOCKS: dict[str, dict[str, Any]] = {
    "pmr": {"tense_s": 6, "feel_s": 25, "reps": 2, "groups": ["b"]},
    "breath": {"in_s": 4, "out_s": 6, "minutes": 5},
    "rest": {"minutes": 5},
    "check": {"prompt": "jaw", "seconds": 15},
    "repeat": {"count": 2, "blocks": [{"type": "rest", "minutes": 1}]},
}
FEEL_GAP_S = 0.3  # between the cues of a block felt one after another


@dataclass
class Editing:
    draft: Draft
    patient: int
    target: Path
    saved: bool = True
    message: str = ""
    ok: bool = True
    preview: dict[bytes, str] = field(default_factory=dict)  # table bytes -> SVG


class Drafts:
    """The drafts open in this app, by a random id (the page's address)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Editing] = {}

    KEEP = 64  # the most recent drafts; an older page's address then answers 404

    def add(self, e: Editing) -> str:
        did = secrets.token_urlsafe(9)
        with self._lock:
            self._open[did] = e
            while len(self._open) > self.KEEP:
                del self._open[next(iter(self._open))]
        return did

    def get(self, did: str) -> Editing:
        with self._lock:
            e = self._open.get(did)
        if e is None:
            abort(404)
        return e


def drafts() -> Drafts:
    return current_app.extensions.setdefault("ontspan.drafts", Drafts())  # type: ignore[no-any-return]


def _folder(pid: int) -> Path:
    return protocols_dir(current_app.config["ARCHIVE"], pid)


@bp.get("/patient/<int:pid>")
def start(pid: int) -> str:
    with Archive(current_app.config["ARCHIVE"]) as ar:
        p = pt.find_patient(ar, str(pid))
    return render_template("editor_start.html", p=p, files=patient_protocols(_folder(pid)),
                           entries=library_entries())


@bp.post("/patient/<int:pid>/open")
def open_draft(pid: int) -> Response:
    with Archive(current_app.config["ARCHIVE"]) as ar:
        pt.find_patient(ar, str(pid))  # refuses an unknown patient
    folder = _folder(pid)
    own = request.form.get("file", "")
    if own:
        target = protocol_file(folder, own)
        if not target.exists():
            raise InputError(f"{own}: no such protocol of this patient")
        draft = Draft.load(target)
    else:
        name = request.form.get("name", "").strip()
        target = protocol_file(folder, name)
        if target.exists():
            raise InputError(f"{name}: this patient has a protocol of that name; edit it, "
                             "or give the new one another name")  # fmt: skip
        draft = Draft.copy_of(resolve(request.form.get("from", "")))
        draft.set("name", name)
    did = drafts().add(Editing(draft, pid, target, saved=bool(own)))
    if request.headers.get("HX-Request"):  # htmx follows this: the page, not a fragment
        return Response("", 204, {"HX-Redirect": url_for("editor.page", did=did)})
    return redirect(url_for("editor.page", did=did), 303)


def _context(did: str, e: Editing) -> dict[str, Any]:
    proto, diags = e.draft.check(e.target)
    form = e.draft.form()
    paths = [f.path for f in form.fields()] + _containers(form)
    data = e.draft.data()
    breath = {b.path: _breath_view(data, b.key) for b in _all_blocks(form.blocks) if b.type == "breath"}
    return {"did": did, "e": e, "form": form, "diags": by_field(diags, paths), "proto": proto,
            "errors": sum(d.severity == "error" for d in diags), "block_types": BLOCK_TYPES,
            "cue_kinds": ("position", *KINDS), "breath": breath, "felt": _felt(proto),
            "json": lambda v: json.dumps(v) if isinstance(v, list | dict) else v}


def _felt(proto: Protocol | None) -> dict[str, str]:
    """What each cue kind plays now (preset and switches applied): a field's hint."""
    if proto is None:
        return {}
    out = {}
    for k in KINDS:
        p = proto.style.pattern_of(k)
        out[k] = json.dumps([list(s) for s in p]) if p is not None else "uit"
    return out


def _all_blocks(blocks: list[Any]) -> list[Any]:
    out = []
    for b in blocks:
        out.append(b)
        out += _all_blocks(b.blocks)
    return out


def _containers(form: Form) -> list[str]:
    """Blocks and groups: a diagnostic about one as a whole sits beside it."""
    out = []
    for b in _all_blocks(form.blocks):
        out.append(b.path)
        out += [b.path + f".groups[{j}]" for j in range(len(b.groups))]
    return out


def _breath_view(data: dict[str, Any], key: tuple[Any, ...]) -> dict[str, Any]:
    t: Any = data
    for part in key:
        t = t[part]
    phases = [t.get(p, 0) if isinstance(t.get(p, 0), int | float) else 0 for p in breathing.PHASES]
    return {"notation": breathing.notation(phases), "per_minute": breathing.per_minute(phases),
            "ramp": "ramp" in t}


@bp.get("/<did>")
def page(did: str) -> str:
    return render_template("editor.html", **_context(did, drafts().get(did)))


def _after(did: str, e: Editing, message: str = "", ok: bool = True) -> Response | str:
    e.message, e.ok = message, ok
    if request.headers.get("HX-Request"):
        return render_template("_editor.html", **_context(did, e))
    return redirect(url_for("editor.page", did=did), 303)


def _edit(did: str, change: Any) -> Response | str:
    e = drafts().get(did)
    try:
        change(e.draft)
    except InputError as err:
        return _after(did, e, str(err), ok=False)
    e.saved = False
    return _after(did, e)


@bp.post("/<did>/set")
def set_field(did: str) -> Response | str:
    """A value typed; an emptied field goes back to the language's default."""
    key, value = request.form["key"], request.form.get("value", "")
    return _edit(did, lambda d: d.set(key, value) if value.strip() else d.clear(key))


@bp.post("/<did>/clear")
def clear_field(did: str) -> Response | str:
    return _edit(did, lambda d: d.clear(request.form["key"]))


@bp.post("/<did>/remove")
def remove(did: str) -> Response | str:
    return _edit(did, lambda d: d.remove(request.form["key"]))


@bp.post("/<did>/move")
def move(did: str) -> Response | str:
    return _edit(did, lambda d: d.move(request.form["key"], int(request.form.get("to", "0"))))


@bp.post("/<did>/add-block")
def add_block(did: str) -> Response | str:
    btype = request.form.get("type", "")
    return _edit(did, lambda d: d.add_block(btype, NEW_BLOCKS.get(btype, {}),
                                            request.form.get("at", "block")))  # fmt: skip


@bp.post("/<did>/add-group")
def add_group(did: str) -> Response | str:
    group = request.form.get("group", "").strip()
    value: str | dict[str, str] = group if len(group) == 1 else {"name": group}
    return _edit(did, lambda d: d.add_group(request.form["block"], value))


@bp.post("/<did>/breath")
def breath(did: str) -> Response | str:
    f = request.form
    return _edit(did, lambda d: d.set_breath(
        f["block"], notation=f.get("notation") or None, unit_s=f.get("unit_s") or None,
        bpm=f.get("bpm") or None))  # fmt: skip


@bp.post("/<did>/ramp")
def add_ramp(did: str) -> Response | str:
    """A ramp starts from the block's own rate to 6 per minute over its length."""
    block = request.form["block"]

    def change(d: Draft) -> None:
        view = _breath_view(d.data(), parse_key(block))
        d.set(f"{block}.ramp.from_bpm", view["per_minute"] or 6)
        d.set(f"{block}.ramp.to_bpm", 6)
        d.set(f"{block}.ramp.minutes", 5)
    return _edit(did, change)


@bp.get("/<did>/preview")
def preview(did: str) -> str:
    e = drafts().get(did)
    proto, _ = e.draft.check(e.target)
    if proto is None:  # the last good one stays, marked as such
        last = next(iter(e.preview.values()), None)
        return render_template("_preview.html", svg=last, stale=True)
    table = compile_table([proto])
    if table not in e.preview:
        e.preview = {table: preview_svg(proto)}  # the latest only
    return render_template("_preview.html", svg=e.preview[table])


@bp.post("/<did>/save")
def save(did: str) -> Response | str:
    e = drafts().get(did)
    try:
        warnings = e.draft.save(e.target)
    except SaveRefused as err:
        return _after(did, e, f"not saved: {err}", ok=False)
    except HandEdited as err:
        return _after(did, e, f"not saved: {err}", ok=False)
    e.saved = True
    note = f" ({len(warnings)} warning(s))" if warnings else ""
    return _after(did, e, f"saved as {e.target.name}{note}")


def _block_cues(proto: Protocol, index: int) -> list[str]:
    """The cues one round of a block gives, in order (its first block for a repeat)."""
    b: Any = proto.blocks[index]
    while isinstance(b, RepeatBlock):
        b = b.blocks[0]
    if isinstance(b, PmrBlock):
        return ["position", "tense", "release"]
    if isinstance(b, BreathBlock):
        return ["in", *(["hold"] if b.hold0 else []), "out"]
    return ["rest"] if isinstance(b, RestBlock) else ["check"] if isinstance(b, CheckBlock) else []


@bp.post("/<did>/feel")
def feel(did: str) -> str:
    """One cue kind, or a block's cues one after another, as this protocol has them."""
    e = drafts().get(did)
    proto, diags = e.draft.check(e.target)
    if proto is None:
        first = next(d for d in diags if d.severity == "error")
        return respond("_result.html", ok=False, message=f"fix this first: {first.key}: {first.message}")
    cue = request.form.get("cue", "")
    block = request.form.get("block", "")
    try:
        cues = _block_cues(proto, int(block)) if block.isdigit() else [cue]
    except IndexError:
        cues = []
    if not cues:
        return respond("_result.html", ok=False, message="nothing to feel there")

    def run() -> str:
        said = []
        with open_link(desk().device_port) as lk:
            for i, c in enumerate(cues):
                got = play_as(lk, proto, c, builtin_here=True)
                if got is None:
                    said.append(f"{c}: not felt in this style")
                    continue
                used, ms, _ = got
                said.append(f"{c}: {ms} ms at strength {used}")
                if i + 1 < len(cues):
                    time.sleep(ms / 1000 + FEEL_GAP_S)
        return "; ".join(said)
    try:
        return respond("_result.html", ok=True, message=desk().now("feel", run))
    except OntspanError as err:
        return respond("_result.html", ok=False, message=str(err))
