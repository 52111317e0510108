"""Start the app's server: 127.0.0.1 on a free port, a new sign-in token per launch,
the address printed (and opened in the browser unless asked not to)."""

from __future__ import annotations

import logging
import socket
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import make_server

from ..errors import InputError

LOCAL = ("127.0.0.1", "localhost")


def check_host(host: str, allow_remote: bool) -> None:
    """Only this computer may reach the app, unless the user says otherwise."""
    if host not in LOCAL and not allow_remote:
        raise InputError(
            f"--host {host}: the app listens on 127.0.0.1 only (patient data stays on this "
            "computer); add --allow-remote to listen on another address"
        )


def serve(host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False,
          device_port: str | None = None, archive: str | Path | None = None,
          lang: str | None = None, open_browser: bool = True,
          say: Callable[[str], None] = print) -> None:
    check_host(host, allow_remote)
    if host not in LOCAL:
        print(f"ontspan: warning: listening on {host}: anyone who can reach this computer "
              "and has the address below can see and change patient data", file=sys.stderr)
    from . import create_app

    app = create_app({"DEVICE_PORT": device_port, "ARCHIVE": str(archive) if archive else None,
                      "LANG": lang,
                      "EXTRA_HOSTS": () if host in LOCAL else (host, socket.gethostname())})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as e:
        raise InputError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    app.config["SERVER_PORT"] = server.server_port
    url = f"http://127.0.0.1:{server.server_port}/?token={app.config['TOKEN']}"
    say(url)
    sys.stdout.flush()
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
