"""Patients in the app: the list, a patient's page, Load from it records the plan
for the patient, Pull, and the report inline is the CLI's own."""

import re

import pytest
from appclient import get, make_app, post, signed_in, text
from conftest import hello_or_none, wait_for
from ontspan.archive import patients as pt
from ontspan.archive.store import Archive
from test_app_device import PLAN, finished, sessions


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return signed_in(app)


def add(c, name, note=""):
    return post(c, "/patients/", {"name": name, "note": note}, htmx=False)


def test_a_script_name_renders_as_text(client):
    r = add(client, "<script>alert(1)</script>", note="<b>x</b> & 'y'")
    assert r.status_code == 303
    page = get(client, r.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    listing = get(client, "/patients/").get_data(as_text=True)
    assert "&lt;script&gt;" in listing and "<script>alert" not in listing


def test_the_list_and_a_second_patient_of_that_name(client):
    add(client, "Anna")
    r = add(client, "Anna")
    assert r.status_code == 200 and "Anna" in text(r) and 'role="alert"' in r.get_data(as_text=True)
    listing = text(get(client, "/patients/"))
    assert "Anna" in listing and "no plan" in listing and "never" in listing


def test_an_unknown_patient_is_one_line(client):
    r = get(client, "/patients/99")
    assert r.status_code == 400 and "99" in text(r)


def test_both_languages(client):
    assert "Patiënten" in text(get(client, "/patients/?lang=nl"))
    assert "Patiënten" in text(get(client, "/library/"))  # the cookie keeps the choice
    assert "Patients" in text(get(client, "/library/?lang=en"))


def test_the_whole_visit_on_the_sim(make_sim, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)
    dev = make_sim("pico", speed=20, trace=False)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    from ontspan.device.lossguard import LossGuard

    sent = []
    real_write = LossGuard.write
    monkeypatch.setattr(LossGuard, "write", lambda g, data: sent.append(bytes(data)) or real_write(g, data))
    app = make_app(tmp_path, DEVICE_PORT=dev.port)
    c = signed_in(app)
    pid = int(add(c, "Bram", note="slaapt slecht").headers["Location"].rsplit("/", 1)[1])
    # Load is refused until this device is Bram's
    r = finished(c, post(c, f"/patients/{pid}/load", {"protocol": ["avondritueel", "pmr-kort"], **PLAN}))
    assert "not linked to this patient" in text(r)
    assert post(c, f"/patients/{pid}/link", htmx=False).status_code == 303
    page = text(get(c, f"/patients/{pid}"))
    assert dev.device_id in page and "Last pull: never" in page
    plan = {**PLAN, "rating0": "both", "rating_days0": "7"}  # from tomorrow: no MISSED today
    r = finished(c, post(c, f"/patients/{pid}/load", {"protocol": ["avondritueel", "pmr-kort"], **plan}))
    assert "loaded onto" in text(r) and "recorded as Bram's plan" in text(r)
    with Archive(app.config["ARCHIVE"]) as ar:
        p = pt.find_patient(ar, "Bram")
        plans = pt.plans_of(ar, p)
        assert len(plans) == 1 and plans[0].device_id == dev.device_id
        assert [(m.protocol, m.rating_mode, m.rating_days) for m in plans[0].plan.moments] == [
            ("pmr-kort", None, 0), ("avondritueel", "before_after", 7)]
    page = get(c, f"/patients/{pid}").get_data(as_text=True)
    assert 'value="21:30"' in page and re.search(r'class="week"', page)  # form and week view
    assert '<option value="both" selected>' in page and 'name="rating_days1" value="7"' in page  # in time order
    sessions(dev, 2)
    assert "4 new record(s)" in text(finished(c, post(c, f"/patients/{pid}/pull")))
    report = get(c, f"/patients/{pid}/report")
    assert report.status_code == 200 and "Bram" in text(report)
    assert "style-src 'unsafe-inline'" in report.headers["Content-Security-Policy"]
    from ontspan.cli.main import main

    out = tmp_path / "cli.html"
    assert main(["report", "Bram", "--db", app.config["ARCHIVE"], "--lang", "en", "-o", str(out)]) == 0
    assert _numbers(report.get_data(as_text=True)) == _numbers(out.read_text())
    csv = get(c, f"/patients/{pid}/moments.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert csv.get_data(as_text=True).startswith("patient,date,time,protocol,status")
    listing = text(get(c, "/patients/"))
    assert "Bram" in listing and dev.device_id in listing and "yes" in listing
    wire = b"".join(sent)
    assert len(wire) > 500 and b"Bram" not in wire and b"slaapt" not in wire  # never sent


def _numbers(html: str) -> list[str]:
    """The report's figures (its pictures aside: same data, same numbers)."""
    body = re.sub(r'src="data:[^"]+"', "", html)
    return re.findall(r"\d+(?:[.,]\d+)?", re.sub(r"<[^>]+>", " ", body))
