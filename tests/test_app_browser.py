"""The app in a real browser (headless Chromium) against `ontspan app` and a simulated
device: a patient's whole visit, live device state, and nothing fetched from outside.
Few and quick: the rest is tested through Flask's test client."""

import datetime as dt
import html
import re

import pytest
from browser import AppServer, chrome, missing, requested_urls
from conftest import hello_or_none, wait_for

pytestmark = pytest.mark.browser

WHY = missing()
if WHY:
    pytest.skip(WHY, allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def sim(make_sim, monkeypatch):
    monkeypatch.delenv("ONTSPAN_PORT", raising=False)
    dev = make_sim("pico", speed=20, trace=False)
    wait_for(lambda: hello_or_none(dev.port), timeout=60)
    return dev


@pytest.fixture
def server(sim, tmp_path):
    srv = AppServer("--device", sim.port, "--db", str(tmp_path / "archive.sqlite3"), "--lang", "en")
    yield srv
    srv.stop()


@pytest.fixture
def browser():
    d = chrome()
    yield d
    d.quit()


def until(driver, predicate, timeout=60):
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )

    swapped = (NoSuchElementException, StaleElementReferenceException)  # htmx replaced it
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=swapped).until(
            lambda d: predicate(d))
    except TimeoutException:
        pytest.fail("the page never showed it; it shows:\n" + driver.find_element(By.TAG_NAME, "body").text)


def live(driver) -> str:
    return driver.find_element(By.ID, "live").text


def test_a_patients_visit_in_the_browser(server, sim, browser, tmp_path):
    b = browser
    b.get(server.url)  # the token is swapped for a cookie, the address loses it
    until(b, lambda d: d.current_url.startswith(server.base + "/patients/"))
    assert "token" not in b.current_url
    name = "Anna <script>document.title='pwned'</script>"
    b.find_element(By.NAME, "name").send_keys(name)
    b.find_element(By.CSS_SELECTOR, "form[action='/patients/'] button").click()
    until(b, lambda d: d.find_element(By.TAG_NAME, "h1").text == name)
    assert b.title == name + " · Ontspan"  # shown as text; never run (it would set 'pwned')
    until(b, lambda d: "idle" in live(d))  # the status line finds the sim by itself
    b.find_element(By.XPATH, "//button[contains(., 'Link the connected device')]").click()
    until(b, lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-linked='{sim.device_id}']"))
    # protocols and a three-week plan that started 20 days ago: today is its last day
    for proto in ("pmr-kort", "avondritueel"):
        b.find_element(By.CSS_SELECTOR, f"input[name=protocol][value='{proto}']").click()
    start = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    b.execute_script(
        "const f = arguments[0]; f.start.value = arguments[1]; f.time0.value = '09:00';"
        "f.protocol0.value = 'pmr-kort'; f.time1.value = '21:30'; f.protocol1.value = 'avondritueel';",
        b.find_element(By.CSS_SELECTOR, "form[hx-post$='/load']"), start)
    b.find_element(By.XPATH, "//button[contains(., 'Load onto the device')]").click()
    until(b, lambda d: "loaded onto" in d.find_element(By.ID, "load-result").text)
    until(b, lambda d: "pmr-kort, avondritueel" in live(d))
    # two sessions through the sim's button, played to their end (device time jumps
    # over pmr-kort's 6.2 minutes); the page follows each within a poll
    for _ in range(2):
        sim.inject("tap")
        until(b, lambda d: "playing a session" in live(d))
        sim.jump(380)
        until(b, lambda d: "idle" in live(d))
    b.find_element(By.XPATH, "//button[contains(., 'Pull logs')]").click()
    # START and END of both sessions, and a MISSED record when the clock has passed a
    # moment's window today (it depends on the hour the test runs)
    pulled = until(b, lambda d: re.search(r"(\d+) new record\(s\)",
                                          d.find_element(By.ID, "pull-result").text))
    assert int(pulled.group(1)) >= 4, pulled.group(0)
    b.refresh()
    frame = until(b, lambda d: d.find_element(By.CSS_SELECTOR, "iframe.report-frame"))
    b.switch_to.frame(frame)
    shown = until(b, lambda d: d.find_element(By.TAG_NAME, "body").text)
    b.switch_to.default_content()
    from ontspan.cli.main import main

    out = tmp_path / "cli.html"
    assert main(["report", "1", "--db", str(tmp_path / "archive.sqlite3"), "--lang", "en",
                 "-o", str(out)]) == 0
    body = re.sub(r"<head>.*?</head>|<img[^>]*>", "", out.read_text(), flags=re.S)
    cli_text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    assert re.findall(r"\d+", shown) == re.findall(r"\d+", cli_text)
    assert "Day 21 of the 21-day practice block" in shown
    assert shown.count("completed") == 2  # both sessions, played to their end


def test_nothing_is_fetched_from_outside(server, browser):
    b = browser
    b.get(server.url)
    for page in ("/patients/", "/library/", "/device/"):
        b.get(server.base + page)
        until(b, lambda d: d.execute_script("return document.readyState") == "complete")
        for img in b.find_elements(By.TAG_NAME, "img")[:2]:
            b.execute_script("arguments[0].scrollIntoView()", img)
            until(b, lambda d, i=img: d.execute_script("return arguments[0].complete", i))
    until(b, lambda d: "idle" in live(d))  # htmx asked the status line
    urls = requested_urls(b)
    assert any(u.endswith(".png") for u in urls) and any("htmx-" in u for u in urls)
    outside = [u for u in urls if not u.startswith((server.base + "/", "data:"))]
    assert outside == []
    assert b.execute_script("return typeof htmx") == "object"  # the vendored copy ran
    console = [e["message"] for e in b.get_log("browser")]
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
