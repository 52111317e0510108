"""Patients: the list (device, block progress, last pull, connected now), and one
patient's page: device panel, Load (protocols and plan), Pull, the report inline."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..archive import patients as pt
from ..archive.store import Archive
from ..device.client import Link
from ..errors import OntspanError
from ..load.onto import Loaded
from ..plan.source import week
from ..report.export import export_moments
from ..report.moments import moments_for_patient
from ..report.patient_page import report_for_patient
from .device import desk, load_context, load_job, pull_job, respond, start_job
from .forms import plan_fields, plan_from, protocols_from
from .security import REPORT_CSP
from .words import lang

bp = Blueprint("patients", __name__, url_prefix="/patients")


def archive() -> Archive:
    return Archive(current_app.config["ARCHIVE"])


def row(ar: Archive, p: pt.Patient, connected: str | None) -> dict[str, Any]:
    dev = pt.device_of(ar, p)
    seen = {d["device_id"]: d for d in ar.devices()}
    block = moments_for_patient(ar, p).block
    return {"patient": p, "device": dev, "block": block,
            "last_pull": seen[dev]["last_seen"] if dev in seen else None,
            "connected": bool(dev) and dev == connected}


def connected_device() -> str | None:
    live = desk().look()
    return live.device_id if live and live.connected else None


@bp.get("/")
def index(error: str = "") -> str:
    with archive() as ar:
        now = connected_device()
        rows = [row(ar, p, now) for p in pt.list_patients(ar)]
    return render_template("patients.html", rows=rows, error=error)


@bp.post("/")
def add() -> Response | str:
    try:
        with archive() as ar:
            p = pt.add_patient(ar, request.form.get("name", "").strip(),
                               request.form.get("note", "").strip())
    except OntspanError as e:
        return index(str(e))
    return redirect(url_for("patients.show", pid=p.id), 303)


def _patient(ar: Archive, pid: int) -> pt.Patient:
    return pt.find_patient(ar, str(pid))


@bp.get("/<int:pid>")
def show(pid: int) -> str:
    with archive() as ar:
        p = _patient(ar, pid)
        plans = pt.plans_of(ar, p)
        ctx = load_context()
        plan = plans[-1].plan if plans else None
        if plan is not None:
            ctx["plan"] = plan_fields(plan, ctx["plan"]["protocols"])
            ctx["plan"]["protocols_checked"] = sorted({m.protocol for m in plan.moments})
        r = row(ar, p, None)
        has_sessions = bool(pt.sessions_of(ar, p))
    return render_template(
        "patient.html", p=p, row=r, plans=plans, week=week(plan) if plan else None,
        has_sessions=has_sessions, load_url=url_for("patients.load_onto", pid=pid),
        pull_url=url_for("patients.pull_logs", pid=pid), **ctx)


@bp.post("/<int:pid>/link")
def link(pid: int) -> Response | str:
    dev = connected_device()
    if dev is None:
        return respond("_result.html", ok=False,
                       message="no device answers: plug in the patient's device and try again")
    with archive() as ar:
        pt.link_device(ar, _patient(ar, pid), dev)
    return redirect(url_for("patients.show", pid=pid), 303)


@bp.post("/<int:pid>/unlink")
def unlink(pid: int) -> Response | str:
    try:
        with archive() as ar:
            pt.unlink_device(ar, _patient(ar, pid))
    except OntspanError as e:
        return respond("_result.html", ok=False, message=str(e))
    return redirect(url_for("patients.show", pid=pid), 303)


@bp.post("/<int:pid>/load")
def load_onto(pid: int) -> str:
    path = current_app.config["ARCHIVE"]
    with archive() as ar:
        p = _patient(ar, pid)

    def theirs(lk: Link) -> None:
        """Only the patient's own device gets the patient's plan."""
        dev = lk.device_id()
        with Archive(path) as ar:
            owner = pt.patient_of(ar, dev)
        if owner is None or owner.id != p.id:
            raise OntspanError(f"the device connected ({dev}) is not linked to this patient: "
                               "link it first, or connect theirs; nothing was loaded")

    try:
        plan, text, warnings = plan_from(request.form)

        def record(loaded: Loaded) -> None:
            if plan is not None:
                with Archive(path) as ar:
                    pt.record_plan(ar, p, plan, text, device_id=loaded.device_id)
        run = load_job(protocols_from(request.form), plan, before=theirs, after=record,
                       notes=warnings)
    except OntspanError as e:
        return respond("_result.html", ok=False, message=str(e))
    return start_job("flash", run)


@bp.post("/<int:pid>/pull")
def pull_logs(pid: int) -> str:
    return start_job("pull", pull_job(current_app.config["ARCHIVE"]))


@bp.get("/<int:pid>/report")
def report(pid: int) -> Response:
    """The patient's report, the very page `ontspan report PATIENT` writes."""
    with archive() as ar:
        html = report_for_patient(ar, _patient(ar, pid), lang()).html
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = REPORT_CSP
    return resp


@bp.get("/<int:pid>/moments.<fmt>")
def export(pid: int, fmt: str) -> Response:
    with archive() as ar:
        text = export_moments(ar, fmt, patient=str(pid))
    kind = "text/csv" if fmt == "csv" else "application/json"
    resp = Response(text, mimetype=kind)
    resp.headers["Content-Disposition"] = f"attachment; filename=patient-{pid}-moments.{fmt}"
    return resp
