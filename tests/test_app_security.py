"""The app refuses what the careful local servers refuse: a foreign Host, a request
without the launch's cookie, a change without the CSRF token or from another Origin,
any method but GET and POST (no CORS), a bind to another address without the flag;
and it shows every user text as text."""

import pytest
from app_helpers import BASE, get, make_app, post, signed_in, text


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return signed_in(app)


def test_the_token_url_becomes_an_httponly_strict_cookie(app):
    c = app.test_client()
    r = c.get("/library/?token=t0ken&lang=nl", base_url=BASE)
    assert r.status_code == 302 and r.headers["Location"] == "/library/?lang=nl"
    cookie = r.headers["Set-Cookie"]
    assert "ontspan_token=t0ken" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert get(c, "/library/").status_code == 200


def test_the_token_opens_once(app):
    signed_in(app)
    other = app.test_client()  # another browser with the printed address
    r = other.get("/?token=t0ken", base_url=BASE)
    assert r.status_code == 403 and "not valid" in text(r)


def test_a_wrong_token_is_refused(app):
    r = app.test_client().get("/?token=guess", base_url=BASE)
    assert r.status_code == 403 and "Set-Cookie" not in r.headers


def test_a_request_without_the_cookie_is_refused(app):
    r = app.test_client().get("/library/", base_url=BASE)
    assert r.status_code == 403 and "address `ontspan app` printed" in text(r)


@pytest.mark.parametrize("host", ["evil.example:5123", "127.0.0.1:80", "localhost", "evil.example"])
def test_a_foreign_host_is_refused(client, host):
    r = client.get("/library/", base_url=f"http://{host}")
    assert r.status_code == 400 and "127.0.0.1 only" in text(r)


def test_localhost_with_the_port_is_served(app):
    c = app.test_client()
    assert c.get("/?token=t0ken", base_url="http://localhost:5123").status_code == 302
    assert c.get("/library/", base_url="http://localhost:5123").status_code == 200


def test_a_post_without_the_csrf_token_is_refused(client):
    r = client.post("/device/clock", base_url=BASE, headers={"Origin": BASE})
    assert r.status_code == 403 and "out of date" in text(r)
    r = client.post("/device/clock", base_url=BASE, headers={"Origin": BASE},
                    data={"csrf": "csrf-2"})
    assert r.status_code == 403


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:5124", "null", None])
def test_a_post_from_another_origin_is_refused(client, origin):
    headers = {"Origin": origin} if origin else {}
    r = client.post("/device/clock", base_url=BASE, headers=headers, data={"csrf": "csrf-1"})
    assert r.status_code == 403 and "another site" in text(r)


def test_a_post_without_the_cookie_is_refused(app):
    r = post(app.test_client(), "/device/clock")
    assert r.status_code == 403


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_no_other_method_and_no_cors(client, method):
    r = client.open("/device/clock", method=method, base_url=BASE,
                    headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert r.status_code in (403, 405)
    assert "Access-Control-Allow-Origin" not in r.headers


def test_pages_load_nothing_from_elsewhere(client):
    r = get(client, "/library/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
    assert "http" not in r.get_data(as_text=True).replace(BASE, "").split("<body")[0]


def test_a_bind_to_another_address_needs_the_flag():
    from ontspan.app.server import check_host
    from ontspan.errors import InputError

    with pytest.raises(InputError, match="--allow-remote"):
        check_host("0.0.0.0", allow_remote=False)
    check_host("0.0.0.0", allow_remote=True)
    check_host("127.0.0.1", allow_remote=False)


def test_the_cli_refuses_0000_without_the_flag(capsys):
    from ontspan.cli.main import main

    assert main(["app", "--host", "0.0.0.0", "--no-browser"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_the_real_server_prints_its_address_and_checks_the_host(tmp_path):
    """`ontspan app --no-browser` as started from a shell: the address, the cookie,
    and a rebinding Host refused by the real server, not only by the test client."""
    import http.client
    import http.cookiejar
    import urllib.request

    from browser import AppServer

    srv = AppServer("--db", str(tmp_path / "a.sqlite3"), "--device", str(tmp_path / "none"))
    try:
        web = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        assert "htmx-" in web.open(srv.url, timeout=30).read().decode()
        host, port = srv.base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", "/library/", headers={"Host": f"evil.example:{port}"})
        assert conn.getresponse().status == 400
    finally:
        srv.stop()
