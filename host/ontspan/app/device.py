"""The device panel: live state, clock, settings, feel, install; Load (protocols and
plan together) and Pull logs, each run beside the page with its progress."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request

from ..archive.given import record_for_device
from ..archive.pull import pull
from ..archive.store import Archive
from ..device.build import firmware_sources
from ..device.client import open_log_link
from ..device.feel import CUES, cue_kind, play
from ..device.flash import build
from ..device.install import install
from ..device.live import open_link, refuse_in_session, summary
from ..device.names import archive_names
from ..device.ports import list_ports
from ..device.settings import set_config
from ..errors import InputError, OntspanError
from ..load.onto import STAGE_PROTOCOLS, Loaded, checked_plan, load
from ..load.plan import read_plan, reminder_notes
from ..paths import FIRMWARE_DIR
from ..plan.model import Plan
from ..protocols.checker import Diagnostic
from ..protocols.library import library_entries
from ..shared import C
from .desk import Desk, Job
from .forms import blank_plan, plan_from, protocols_from

bp = Blueprint("device", __name__, url_prefix="/device")
SETTINGS = ("night_start", "night_end", "touch_strength")
FEEL_CUES = tuple(c for c in CUES if c not in ("pause", "resume", "rating"))


def desk() -> Desk:
    return current_app.extensions["ontspan.desk"]  # type: ignore[no-any-return]


def respond(template: str, **ctx: Any) -> str:
    """A fragment for htmx, the same inside a page otherwise (no script needed)."""
    if request.headers.get("HX-Request"):
        return render_template(template, **ctx)
    return render_template("action.html", fragment=template, **ctx)


def result(fn: Any, what: str) -> str:
    try:
        return respond("_result.html", ok=True, message=desk().now(what, fn))
    except OntspanError as e:
        return respond("_result.html", ok=False, message=str(e))


def load_context(plan_form: dict[str, Any] | None = None) -> dict[str, Any]:
    entries = library_entries()
    return {"entries": entries, "plan": plan_form or blank_plan([e.name for e in entries]),
            "ports": list_ports(), "port_now": desk().device_port,
            "feel_cues": FEEL_CUES, "settings": SETTINGS, "firmware_version": C.FIRMWARE_VERSION}


@bp.get("/")
def index() -> str:
    return render_template("device.html", **load_context())


@bp.get("/status")
def status() -> str:
    d = desk()
    return render_template("_live.html", live=d.look(), doing=d.doing)


@bp.post("/port")
def choose_port() -> str:
    """Which serial port the app talks to: found by itself (empty) or one chosen."""
    desk().device_port = request.form.get("port", "").strip() or current_app.config["DEVICE_PORT"]
    return respond("_result.html", ok=True,
                   message=f"port: {desk().device_port or 'found by itself'}")


@bp.post("/clock")
def clock() -> str:
    def run() -> str:
        with open_link(desk().device_port) as lk:
            lk.set_clock()
            c = lk.get_clock()
        return f"clock set: {c.epoch} (UTC offset {c.tz_minutes} min)"
    return result(run, "clock")


@bp.post("/settings")
def settings() -> str:
    values = {}
    for key in SETTINGS:
        text = request.form.get(key, "").strip()
        if text:
            if not text.lstrip("-").isdigit():
                return respond("_result.html", ok=False, message=f"{key}: {text!r} is not a whole number")
            values[key] = int(text)

    def run() -> str:
        with open_link(desk().device_port) as lk:
            cfg = set_config(lk, values)
        return ", ".join(f"{k}={cfg.get(k)}" for k in values) or "nothing to change"
    return result(run, "settings")


@bp.post("/feel")
def feel() -> str:
    cue = request.form.get("cue", "")

    def run() -> str:
        kind = cue_kind(cue)
        with open_link(desk().device_port) as lk:
            used, ms, _ = play(lk, kind)
        return f"{cue}: {ms} ms at strength {used}"
    return result(run, "feel")


def start_job(what: str, fn: Any) -> str:
    try:
        job = desk().start(what, fn)
    except OntspanError as e:
        return respond("_result.html", ok=False, message=str(e))
    return respond("_job.html", job=job)


@bp.post("/install")
def install_firmware() -> str:
    where = desk().device_port

    def run(job: Job) -> str:
        with open_link(where) as lk:
            refuse_in_session(lk, "install")
            port = lk.port
        total = len(firmware_sources(FIRMWARE_DIR))

        def step(_name: str) -> None:
            job.progress(job.done + 1, total)
        hello = install(port, FIRMWARE_DIR, progress=step)
        return f"installed firmware {hello.firmware} on {port}"
    return start_job("install", run)


def load_job(names: list[str], plan: Plan | None, before: Any = None, after: Any = None,
             notes: list[str] | None = None) -> Any:
    """The load as a job: `before(link)` may refuse the device, then protocols and plan
    go onto it, then `after(loaded)`."""
    found: list[Diagnostic] = []
    try:  # protocols and plan checked before the device is touched
        b = build(names, report=found.append)
    except InputError:
        raise InputError("not loaded: " + "; ".join(
            str(d) for d in found if d.severity == "error")) from None
    checked_plan(b, plan)
    where = desk().device_port

    def run(job: Job) -> str:
        job.notes = [f"warning: {n}" for n in notes or []]

        def stage(s: str) -> None:
            job.stage = "flash" if s == STAGE_PROTOCOLS else "plan"
        with open_link(where) as lk:
            if before:
                before(lk)
            loaded = load(lk, b, plan, job.progress, stage)
            job.stage = "readback"
            now, now_plan = summary(lk)["protocols"], read_plan(lk)  # what the device has now
            if plan is not None:
                job.notes += reminder_notes(lk)
        said = after(loaded) if after else ""
        if said:
            job.notes.append(said)
        what = f"loaded onto {loaded.device_id}: {b.listing()}"
        if plan is not None:
            what += f"; plan from {plan.start}, {len(plan.moments)} moment(s), {loaded.plan_size} bytes"
        job.notes.append("on the device now: " + ", ".join(str(p["name"] or p["id"]) for p in now)
                         + (f"; a plan from {now_plan.start} with {len(now_plan.moments)} moment(s)"
                            if now_plan else "; no plan"))
        return what
    return run


def recorder(archive: str | None, plan: Plan | None, text: str) -> Any:
    """After a load: the plan kept for the patient linked to the device (as `plan set`)."""
    def record(loaded: Loaded) -> str:
        if plan is None:
            return ""
        with Archive(archive) as ar:
            who = record_for_device(ar, loaded.device_id, plan, text)
        return (f"recorded as {who.name}'s plan" if who else
                f"no patient linked to device {loaded.device_id}: the plan is not recorded "
                "for a report")
    return record


@bp.post("/load")
def load_onto() -> str:
    try:
        plan, text, warnings = plan_from(request.form)
        run = load_job(protocols_from(request.form), plan, notes=warnings,
                       after=recorder(current_app.config["ARCHIVE"], plan, text))
    except OntspanError as e:
        return respond("_result.html", ok=False, message=str(e))
    return start_job("flash", run)


def pull_job(archive: str | None, after: Any = None) -> Any:
    where = desk().device_port

    def run(job: Job) -> str:
        lk = open_log_link(where)
        try:
            job.total = max(1, lk.status().log_count)
            names = archive_names(lk.info())
            with Archive(archive) as ar:
                res = pull(lk, ar, lambda n: job.progress(job.done + n, max(job.total, job.done + n)),
                           names=names)
        finally:
            lk.close()
        if after:
            after(res)
        job.notes = list(res.notes)
        return (f"{res.device_id}: {res.new} new record(s), {res.duplicate} already archived, "
                f"last seq {res.last_seq}")
    return run


@bp.post("/pull")
def pull_logs() -> str:
    return start_job("pull", pull_job(current_app.config["ARCHIVE"]))


@bp.get("/jobs/<job_id>")
def job(job_id: str) -> str:
    j = desk().jobs.get(job_id)
    if j is None:
        abort(404)
    return respond("_job.html", job=j)
