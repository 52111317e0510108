"""The protocol editor in a real browser (headless Chromium) against `ontspan app` and a
simulated device: start from pmr-kort, drop a group, tense 5 s and feel 25 s, a 4-6
breathing block with a ramp from 8 per minute, feel tense and out, save; the timeline
follows each change. What the sim plays of it: tests/test_editor_on_sim.py."""

import pytest
from browser import AppServer, chrome, missing
from conftest import hello_or_none, wait_for

pytestmark = pytest.mark.browser

WHY = missing()
if WHY:
    pytest.skip(WHY, allow_module_level=True)

from ontspan.preview.svg import clock  # noqa: E402
from ontspan.protocols.parser import load_protocol  # noqa: E402
from ontspan.protocols.timeline import duration_ms  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.expected_conditions import staleness_of  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402
from test_app_browser import until  # noqa: E402


@pytest.fixture
def server(make_sim, monkeypatch, tmp_path):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)
    dev = make_sim("pico", speed=20, trace=False)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    srv = AppServer("--device", dev.port, "--db", str(tmp_path / "archive.sqlite3"), "--lang", "en")
    yield srv
    srv.stop()


@pytest.fixture
def browser():
    d = chrome(1400, 1100)
    yield d
    d.quit()


def answered(b, action) -> None:
    """Do `action`, then wait until the editor came back (htmx swapped it)."""
    old = until(b, lambda d: d.find_element(By.ID, "editor"))
    action()
    WebDriverWait(b, 60).until(staleness_of(old))


def field(b, path: str, value: str) -> None:
    """Type into one field and leave it, as a therapist does."""
    el = until(b, lambda d: d.find_element(By.ID, f"f-{path}"))
    answered(b, lambda: b.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", el, value))
    assert b.find_element(By.ID, f"f-{path}").get_attribute("value") == value


def press(b, el) -> None:
    """Click it in the middle of the window: the timeline stays on top while the form scrolls."""
    b.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()


def click(b, xpath: str) -> None:
    answered(b, lambda: press(b, until(b, lambda d: d.find_element(By.XPATH, xpath))))


def total(b) -> str:
    return until(b, lambda d: d.find_element(By.CSS_SELECTOR, "#preview text.total").text)


def test_build_feel_and_save_in_the_browser(server, browser, tmp_path):
    b = browser
    b.get(server.url)
    until(b, lambda d: d.current_url.startswith(server.base + "/patients/"))
    b.find_element(By.NAME, "name").send_keys("Anna")
    b.find_element(By.CSS_SELECTOR, "form[action='/patients/'] button").click()
    until(b, lambda d: d.find_element(By.XPATH, "//a[contains(., 'Protocols of this patient')]")).click()
    Select(until(b, lambda d: d.find_element(By.NAME, "from"))).select_by_value("pmr-kort")
    b.find_element(By.CSS_SELECTOR, "input[name=name]").send_keys("anna-kort")
    b.find_element(By.CSS_SELECTOR, "button.primary").click()
    assert total(b) == "total 6:15 min"
    click(b, "//fieldset[@id='g-block[0].groups[0]']//button[contains(., 'Remove')]")
    until(b, lambda d: total(d) == "total 5:11 min")  # 2 groups of 64 s, 3 min rest, the end
    field(b, "block[0].tense_s", "5")
    field(b, "block[0].feel_s", "25")
    Select(b.find_element(By.NAME, "type")).select_by_value("breath")  # a plain choice: not posted
    click(b, "//button[contains(., 'Add') and ancestor::form[contains(@action, 'add-block')]]")
    click(b, "//fieldset[@id='b-block[2]']//button[.='↑']")
    until(b, lambda d: d.find_element(By.ID, "b-block[1]").get_attribute("data-type") == "breath")
    notation = until(b, lambda d: d.find_element(By.CSS_SELECTOR, "#b-block\\[1\\] input[name=notation]"))
    notation.clear()
    notation.send_keys("4-6")
    click(b, "//fieldset[@id='b-block[1]']//button[contains(., 'Apply')]")
    click(b, "//fieldset[@id='b-block[1]']//button[contains(., 'Add a ramp')]")
    field(b, "block[1].ramp.from_bpm", "8")
    field(b, "block[1].ramp.minutes", "4")
    field(b, "block[1].minutes", "4")
    answered(b, lambda: Select(b.find_element(By.ID, "f-style.haptic.preset")).select_by_value("duidelijk"))
    for cue in ("tense", "out"):
        press(b, b.find_element(By.XPATH, f"//form[.//input[@value='style.haptic.{cue}']]//button[.='Feel']"))
        until(b, lambda d, c=cue: f"{c}: " in d.find_element(By.ID, "feel-result").text)
    click(b, "//button[contains(., 'Save')]")  # fmt: skip
    until(b, lambda d: "saved as anna-kort.toml" in d.find_element(By.ID, "editor").text)
    proto, diags = load_protocol(tmp_path / "protocols" / "patient-1" / "anna-kort.toml")
    assert proto is not None and not diags
    assert total(b) == f"total {clock(duration_ms(proto))} min"  # the timeline of what was saved
    field(b, "block[0].tense_s", "12")  # the checker's words beside the field
    msg = until(b, lambda d: d.find_element(By.CSS_SELECTOR, "[data-key='block[0].tense_s']").text)
    assert msg == "error: `tense_s` is 12 s; allowed 1 to 10 s in 0.1 s steps"
