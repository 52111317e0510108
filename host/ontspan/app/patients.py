"""Patients: the list, and one patient's page (device, load, pull, report)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("patients", __name__, url_prefix="/patients")


@bp.get("/")
def index() -> str:
    return render_template("patients.html", rows=[])
