"""The app's device panel, Load and Pull against a simulated device, through Flask's
test client: the same library calls as the CLI, one device lock, and a device pulled
out mid-action leaves one line and nothing lost."""

import datetime as dt

import pytest
from appclient import get, make_app, post, signed_in, text
from conftest import hello_or_none, wait_for
from ontspan.archive.store import Archive
from ontspan.device.client import Link
from ontspan.load.plan import read_plan
from ontspan.shared import C

# starts tomorrow: no moment of it can pass its window (and log MISSED) while a test runs
PLAN = {"start": (dt.date.today() + dt.timedelta(days=1)).isoformat(), "weeks": "3", "trial": "4",
        "time0": "21:30", "protocol0": "avondritueel", "days0": [str(d) for d in range(7)],
        "time1": "13:00", "protocol1": "pmr-kort", "days1": ["0", "2", "4"]}


@pytest.fixture(autouse=True)
def _no_port_env(monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)


def boot(make_sim, name="pico"):
    dev = make_sim(name, speed=20, trace=False)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    return dev


def finished(c, r):
    """Follow a job's fragment until it ends; its last fragment."""
    import re

    m = re.search(r'id="job-(\d+)"', r.get_data(as_text=True))
    assert m, text(r)
    return wait_for(lambda: (lambda f: f if 'data-finished="yes"' in f.get_data(as_text=True)
                             else None)(get(c, f"/device/jobs/{m.group(1)}", headers={"HX-Request": "1"})),
                    timeout=60)


def load(c, protocols=("avondritueel", "pmr-kort"), **plan):
    return post(c, "/device/load", {"protocol": list(protocols), **PLAN, **plan})


def test_no_device_is_one_state_line(tmp_path):
    c = signed_in(make_app(tmp_path, DEVICE_PORT=str(tmp_path / "no-such-port")))
    r = get(c, "/device/status")
    assert r.status_code == 200 and "not connected" in text(r)


def test_load_puts_protocols_and_plan_on_the_device(make_sim, tmp_path):
    dev = boot(make_sim)
    c = signed_in(make_app(tmp_path, DEVICE_PORT=dev.port))
    assert f'data-device-id="{dev.device_id}"' in get(c, "/device/status").get_data(as_text=True)
    done = finished(c, load(c))
    assert "loaded onto " + dev.device_id in text(done), text(done)
    assert f"plan from {PLAN['start']}, 2 moment(s)" in text(done)
    assert f"on the device now: pmr-kort, avondritueel; a plan from {PLAN['start']} with 2 moment(s)" in text(done)
    assert "warning: " in text(done) and "before and after" in text(done)  # the checker's
    assert f"no patient linked to device {dev.device_id}: the plan is not recorded" in text(done)
    live = text(get(c, "/device/status"))
    assert "pmr-kort, avondritueel" in live and "idle" in live
    with Link(dev.port) as lk:
        lk.hello()
        plan = read_plan(lk)
    assert plan is not None and [(m.time, m.protocol, m.days) for m in plan.moments] == [
        ("13:00", "pmr-kort", 0b10101), ("21:30", "avondritueel", 0x7F)]


def test_a_bad_plan_is_refused_before_the_device_is_touched(make_sim, tmp_path):
    dev = boot(make_sim)
    c = signed_in(make_app(tmp_path, DEVICE_PORT=dev.port))
    r = load(c, protocols=("adem-4-6",))
    assert "avondritueel" in text(r) and "loaded" not in text(r), text(r)
    assert 'class="result error"' in r.get_data(as_text=True)
    r = load(c, time0="25:99")
    assert "time of day" in text(r)
    with Link(dev.port) as lk:
        lk.hello()
        assert lk.info()["protocols"] == []


def test_two_tabs_loading_at_once_get_one_load_and_one_busy(make_sim, tmp_path, monkeypatch):
    import threading

    from ontspan.app.desk import Job

    dev = boot(make_sim)
    app = make_app(tmp_path, DEVICE_PORT=dev.port)
    a, b = signed_in(app), app.test_client()
    b.set_cookie("ontspan_token", "t0ken", domain="127.0.0.1")
    second_asked = threading.Event()
    real = Job.progress

    def held(job, done, total):  # the first upload waits until the second tab has asked
        second_asked.wait(30)
        real(job, done, total)
    monkeypatch.setattr(Job, "progress", held)
    first = load(a, protocols=("pmr-17", "avondritueel", "pmr-kort"))
    second = load(b)
    second_asked.set()
    assert "the device is busy (flash)" in text(second)
    assert "loaded onto" in text(finished(a, first))
    assert "busy" in text(get(b, "/device/status")) or "idle" in text(get(b, "/device/status"))


def test_in_a_session_load_and_install_are_refused(make_sim, tmp_path):
    dev = boot(make_sim)
    c = signed_in(make_app(tmp_path, DEVICE_PORT=dev.port))
    finished(c, load(c))
    dev.inject("tap")  # the button starts the first protocol
    wait_for(lambda: "playing" in text(get(c, "/device/status")))
    assert "a session is playing" in text(finished(c, load(c)))
    assert "install refused: a session is playing" in text(finished(c, post(c, "/device/install")))
    assert "the device is playing a session" in text(post(c, "/device/feel", {"cue": "tense"}))


def test_settings_and_feel_through_the_library(make_sim, tmp_path):
    dev = boot(make_sim)
    c = signed_in(make_app(tmp_path, DEVICE_PORT=dev.port))
    r = post(c, "/device/settings", {"night_start": "22", "night_end": "6", "touch_strength": "90"})
    assert "night_start=22, night_end=6, touch_strength=90" in text(r)
    assert "night 22:00 to 6:00 · motor strength 90" in text(get(c, "/device/status"))
    r = post(c, "/device/settings", {"night_start": "30"})
    assert "refused night_start=30" in text(r)
    r = post(c, "/device/feel", {"cue": "tense"})
    assert "tense:" in text(r) and "at strength 90" in text(r)
    assert "clock set" in text(post(c, "/device/clock"))


def sessions(dev, n):
    with Link(dev.port) as lk:
        lk.hello()
        pid = lk.info()["protocols"][0]
        for _ in range(n):
            lk.start(pid)
            wait_for(lambda: lk.status().state == C.STATE_PLAYING)
            lk.stop()
            wait_for(lambda: lk.status().state == C.STATE_IDLE)


def test_pull_with_progress_then_nothing_new(make_sim, tmp_path):
    dev = boot(make_sim)
    app = make_app(tmp_path, DEVICE_PORT=dev.port)
    c = signed_in(app)
    finished(c, load(c))
    sessions(dev, 2)
    assert "4 new record(s)" in text(finished(c, post(c, "/device/pull")))
    assert "0 new record(s), 0 already archived, last seq 4" in text(finished(c, post(c, "/device/pull")))


def test_unplugged_during_load_nothing_changed(make_sim, tmp_path, monkeypatch):
    dev = boot(make_sim)
    app = make_app(tmp_path, DEVICE_PORT=dev.port)
    c = signed_in(app)
    finished(c, load(c, protocols=("pmr-kort",), time0="", time1=""))
    with Link(dev.port) as lk:
        lk.hello()
        before = lk.info()["table"]
    from ontspan.app.desk import Job

    real = Job.progress

    def unplug(job, done, total):
        if dev.proc is not None:
            dev.stop()  # out of the USB port after the first chunk
            dev.proc = None
        real(job, done, total)
    monkeypatch.setattr(Job, "progress", unplug)
    done = finished(c, load(c, protocols=("pmr-17", "avondritueel", "pmr-kort")))
    assert "lost the device during flash; nothing was changed; plug it in and try again" in text(done)
    assert text(done).count("lost the device") == 1
    monkeypatch.setattr(Job, "progress", real)
    again = boot(make_sim)  # plugged in again: the same device
    assert again.device_id == dev.device_id
    with Link(again.port) as lk:
        lk.hello()
        assert lk.info()["table"] == before


def test_unplugged_during_pull_keeps_every_record_pulled(make_sim, tmp_path, monkeypatch):
    dev = boot(make_sim)
    app = make_app(tmp_path, DEVICE_PORT=dev.port)
    c = signed_in(app)
    finished(c, load(c, protocols=("pmr-kort",), time0="", time1=""))
    sessions(dev, 3)
    from ontspan.app import device as routes
    from ontspan.archive.pull import pull as real_pull

    def pull_then_unplug(link, archive, progress=None, **kw):
        def step(n):
            progress(n)
            dev.stop()  # the cable goes after the first batch is stored
        return real_pull(link, archive, step, batch=2, **kw)
    monkeypatch.setattr(routes, "pull", pull_then_unplug)
    done = finished(c, post(c, "/device/pull"))
    assert "lost the device during pull; every record pulled so far is in the archive" in text(done)
    with Archive(app.config["ARCHIVE"]) as ar:
        kept = ar.last_seq(dev.device_id)
    assert kept >= 2
    monkeypatch.setattr(routes, "pull", real_pull)
    again = boot(make_sim)
    app.extensions["ontspan.desk"].device_port = again.port
    assert f"{6 - kept} new record(s), 0 already archived" in text(finished(c, post(c, "/device/pull")))
    with Archive(app.config["ARCHIVE"]) as ar:
        assert len(ar.sessions(dev.device_id)) == 3


def test_a_device_at_the_repl_says_so(make_sim, tmp_path):
    import time

    import serial

    dev = boot(make_sim)
    c = signed_in(make_app(tmp_path, DEVICE_PORT=dev.port))

    def at_repl():
        with serial.Serial(dev.port) as s:  # Ctrl-C (again, on a busy machine): main stops
            s.write(b"\x03\x03")
            time.sleep(0.5)
        live = text(get(c, "/device/status"))
        return live if "REPL" in live else None
    live = wait_for(at_repl)
    assert "not answering as Ontspan" in live and "is at the REPL" in live


def test_the_patients_own_file_goes_with_the_library(make_sim, tmp_path):
    from ontspan.cli.main import main

    dev = boot(make_sim)
    c = signed_in(make_app(tmp_path, DEVICE_PORT=dev.port))
    own = tmp_path / "anna-avond.toml"
    assert main(["new", str(own), "--from", "avondritueel"]) == 0
    done = finished(c, post(c, "/device/load", {"protocol": ["pmr-kort"], "files": f"{own}\n"}))
    assert "pmr-kort (2), anna-avond (100)" in text(done), text(done)
    bad = post(c, "/device/load", {"protocol": ["pmr-kort"], "files": str(tmp_path / "nope.toml")})
    assert "nope.toml" in text(bad) and 'class="result error"' in bad.get_data(as_text=True)


def test_an_action_waits_for_a_status_look_not_refused(monkeypatch):
    """The status line polls every second: an action that meets a look waits for it;
    only another action makes it 'busy'."""
    import threading

    import ontspan.app.desk as desk_module
    from ontspan.app.desk import Busy, Desk

    desk = Desk(None)
    in_look, release = threading.Event(), threading.Event()

    def slow_look(_port):
        in_look.set()
        release.wait(30)
    monkeypatch.setattr(desk_module, "look", slow_look)
    t = threading.Thread(target=desk.look)
    t.start()
    in_look.wait(30)
    threading.Timer(0.2, release.set).start()
    assert desk.now("clock", lambda: "done") == "done"  # waited for the look
    t.join()
    hold = threading.Event()
    desk.start("flash", lambda job: hold.wait(30))
    with pytest.raises(Busy, match=r"busy \(flash\)"):
        desk.now("clock", lambda: "done")
    assert desk.look() is None
    hold.set()


def test_the_port_can_be_chosen_on_the_page(make_sim, tmp_path):
    dev = boot(make_sim)
    c = signed_in(make_app(tmp_path, DEVICE_PORT=str(tmp_path / "none")))
    assert "not connected" in text(get(c, "/device/status"))
    assert dev.port in text(post(c, "/device/port", {"port": dev.port}))
    assert "idle" in text(get(c, "/device/status"))
    assert f'value="{dev.port}" selected' in get(c, "/device/").get_data(as_text=True)


def test_every_lost_line_in_both_languages():
    from ontspan.app.desk import LOST
    from ontspan.app.words import _T

    assert set(LOST) == {"flash", "plan", "readback", "pull", "install"}
    for key in LOST:
        en, nl = _T[f"lost_{key}"]
        assert LOST[key] == en and nl and nl != en


def test_without_script_a_form_answers_with_a_whole_page(tmp_path):
    c = signed_in(make_app(tmp_path, DEVICE_PORT=str(tmp_path / "none")))
    r = post(c, "/device/clock", htmx=False)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and page.startswith("<!doctype html>") and 'role="alert"' in page
    assert "no device at" in text(r)
    fragment = post(c, "/device/clock").get_data(as_text=True)
    assert not fragment.lstrip().startswith("<!doctype") and 'role="alert"' in fragment
