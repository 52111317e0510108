"""The protocol editor page through Flask's test client: start from a library protocol
(never a blank form), edit field by field with the checker's words beside each
field, save under the patient, the live timeline as a fragment, and Feel on the
(simulated) device through the library function `ontspan feel` uses."""

import re

import pytest
from appclient import get, make_app, post, signed_in, text
from conftest import hello_or_none, wait_for
from ontspan.archive.protocol_files import protocols_dir
from ontspan.cli.main import main as cli
from ontspan.device.client import Link
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.parser import load_protocol


@pytest.fixture(autouse=True)
def _no_port_env(monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)


def patient(c, name="Anna"):
    r = post(c, "/patients/", {"name": name}, htmx=False)
    assert r.status_code == 303, text(r)
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def open_copy(c, pid, source="pmr-kort", name="anna-kort"):
    r = post(c, f"/editor/patient/{pid}/open", {"from": source, "name": name}, htmx=False)
    assert r.status_code == 303, text(r)
    return r.headers["Location"].split("/editor/")[1]


def edit(c, did, route, **data):
    r = post(c, f"/editor/{did}/{route}", data)
    assert r.status_code == 200, text(r)
    return r.get_data(as_text=True)


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def diag_at(html, key):
    return [m for m in re.findall(r'class="diag (\w+)" data-key="([^"]+)">[^:]+: ([^<]+)<', html)
            if m[1] == key]


@pytest.fixture
def setup(tmp_path):
    app = make_app(tmp_path)
    c = signed_in(app)
    pid = patient(c)
    return app, c, pid, protocols_dir(app.config["ARCHIVE"], pid)


def test_start_from_the_library_edit_and_save_under_the_patient(setup, tmp_path):
    app, c, pid, folder = setup
    start = text(get(c, f"/editor/patient/{pid}"))
    assert "pmr-kort" in start and "Start from the library" in start
    did = open_copy(c, pid)
    page = get(c, f"/editor/{did}").get_data(as_text=True)
    assert 'value="&#34;anna-kort&#34;"' in page or 'value="anna-kort"' in page
    assert "benen, schouders, gezicht" in page  # the library's values, not a blank form
    edit(c, did, "remove", key="block[0].groups[0]")  # drop a group
    edit(c, did, "set", key="block[0].tense_s", value="5")
    edit(c, did, "set", key="block[0].feel_s", value="25")
    edit(c, did, "add-block", type="breath")
    edit(c, did, "move", key="block[2]", to="1")
    html = edit(c, did, "breath", block="block[1]", notation="4-6")
    assert 'data-per-minute="6.0"' in html
    edit(c, did, "ramp", block="block[1]")
    edit(c, did, "set", key="block[1].ramp.from_bpm", value="8")
    html = edit(c, did, "set", key="block[1].minutes", value="4")
    edit(c, did, "set", key="block[1].ramp.minutes", value="4")
    html = edit(c, did, "save")
    assert "saved as anna-kort.toml" in words(html), words(html)
    saved = folder / "anna-kort.toml"
    assert saved.exists()
    assert saved.read_text().startswith("# Korte spierontspanning")  # the comments came along
    assert cli(["check", str(saved)]) == 0
    proto, diags = load_protocol(saved)
    assert proto is not None and not diags
    out = tmp_path / "t.bin"
    assert cli(["compile", str(saved), "-o", str(out)]) == 0
    assert out.read_bytes() == compile_table([proto])
    own = text(get(c, f"/editor/patient/{pid}"))
    assert "anna-kort.toml" in own  # opened again from the patient's own files next time


def test_hostile_values_show_the_checkers_words_beside_the_field(setup):
    app, c, pid, folder = setup
    did = open_copy(c, pid)
    edit(c, did, "save")
    before = (folder / "anna-kort.toml").read_bytes()
    html = edit(c, did, "set", key="block[0].groups[0].tense_s", value="12")
    assert diag_at(html, "block[0].groups[0].tense_s") == [
        ("error", "block[0].groups[0].tense_s", "`tense_s` is 12 s; allowed 1 to 10 s in 0.1 s steps")
    ]
    html = edit(c, did, "set", key="style.day.tense", value="#fff")
    assert diag_at(html, "style.day.tense")[0][2] == 'colour `tense` is &#39;#fff&#39; (string); write it as &#34;#rrggbb&#34;'
    html = edit(c, did, "save")
    assert "not saved" in words(html) and "`tense_s` is 12 s" in words(html)
    assert (folder / "anna-kort.toml").read_bytes() == before
    stale = get(c, f"/editor/{did}/preview").get_data(as_text=True)
    assert "No preview while the protocol has errors" in stale and "stale" in stale
    # what the language has no field for, the form cannot say
    assert "no such field" in words(edit(c, did, "set", key="block[0].tense", value="6"))


def test_a_hand_edit_meanwhile_is_noticed_not_overwritten(setup):
    app, c, pid, folder = setup
    did = open_copy(c, pid)
    edit(c, did, "save")
    f = folder / "anna-kort.toml"
    f.write_text(f.read_text().replace("feel_s = 25", "feel_s = 30"))
    edit(c, did, "set", key="block[0].reps", value="3")
    assert "changed after it was opened" in words(edit(c, did, "save"))
    assert "feel_s = 30" in f.read_text() and "reps = 2" in f.read_text()
    r = post(c, f"/editor/patient/{pid}/open", {"file": "anna-kort"}, htmx=False)
    did2 = r.headers["Location"].split("/editor/")[1]
    edit(c, did2, "set", key="block[0].reps", value="3")
    assert "saved as" in words(edit(c, did2, "save"))
    assert "feel_s = 30" in f.read_text() and "reps = 3" in f.read_text()


def test_the_preview_is_the_device_timeline_as_a_fragment(setup):
    app, c, pid, folder = setup
    did = open_copy(c, pid)
    frag = get(c, f"/editor/{did}/preview", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith('<figure id="preview"') and "<svg" in frag
    assert "total 6:15 min" in frag  # pmr-kort: 3 groups, 3 minutes of rest, the end cue
    edit(c, did, "set", key="block[1].minutes", value="4")
    assert "total 7:15 min" in get(c, f"/editor/{did}/preview").get_data(as_text=True)


def test_feel_without_a_device_says_why(setup):
    app, c, pid, folder = setup
    app.extensions["ontspan.desk"].device_port = str(folder / "no-such-port")
    did = open_copy(c, pid)
    r = text(post(c, f"/editor/{did}/feel", {"cue": "tense"}))
    assert "result error" in post(c, f"/editor/{did}/feel", {"cue": "tense"}).get_data(as_text=True), r


def test_feel_cues_and_blocks_on_the_device_refused_in_a_session(make_sim, tmp_path):
    dev = make_sim("pico", speed=20, trace=False)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    app = make_app(tmp_path, DEVICE_PORT=dev.port)
    c = signed_in(app)
    pid = patient(c)
    did = open_copy(c, pid)
    edit(c, did, "add-block", type="breath")
    r = text(post(c, f"/editor/{did}/feel", {"cue": "tense"}))
    assert re.search(r"tense: \d+ ms at strength 110", r), r  # the protocol's strength, tried
    r = text(post(c, f"/editor/{did}/feel", {"cue": "out"}))
    assert "out: not felt in this style" in r  # standaard: breathing is not felt
    edit(c, did, "set", key="style.haptic.preset", value="duidelijk")
    r = text(post(c, f"/editor/{did}/feel", {"cue": "out"}))
    assert re.search(r"out: \d+ ms", r), r
    r = text(post(c, f"/editor/{did}/feel", {"block": "0"}))
    assert re.search(r"position: \d+ ms.*tense: \d+ ms.*release: \d+ ms", r), r
    edit(c, did, "set", key="style.haptic.hold", value="[[160, 700]]")
    r = text(post(c, f"/editor/{did}/feel", {"cue": "hold"}))
    assert "no table to play anna-kort from" in r  # a pattern of its own plays from the table
    assert cli(["flash", "pmr-kort", "--port", dev.port]) == 0
    r = text(post(c, f"/editor/{did}/feel", {"cue": "hold"}))
    assert "the device has another hold pattern for anna-kort" in r, r
    with Link(dev.port) as lk:
        lk.hello()
        lk.start(lk.info()["protocols"][0])
    r = text(post(c, f"/editor/{did}/feel", {"cue": "tense"}))
    assert "the device is playing a session" in r, r


def test_a_new_copy_never_takes_an_existing_name(setup):
    app, c, pid, folder = setup
    did = open_copy(c, pid)
    edit(c, did, "save")
    r = post(c, f"/editor/patient/{pid}/open", {"from": "adem-4-6", "name": "anna-kort"}, htmx=False)
    assert r.status_code == 400 and "has a protocol of that name" in text(r)
    r = post(c, f"/editor/patient/{pid}/open", {"from": "adem-4-6", "name": "../x"}, htmx=False)
    assert r.status_code == 400 and "lowercase letters" in text(r)
    assert sorted(p.name for p in folder.iterdir()) == ["anna-kort.toml"]
