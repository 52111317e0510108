"""`ontspan app`: the therapist's desktop in the browser (a local server on 127.0.0.1)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "app", help="the therapist's desktop: a local web app in the browser",
        description="Start the app on 127.0.0.1 and open the browser on it. The address carries "
        "a sign-in token for this launch only; stop the app with Ctrl-C.",
    )
    p.add_argument("--no-browser", action="store_true", help="print the address only")
    p.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow --host other than 127.0.0.1 (others on the network could reach it)")
    p.add_argument("--device", dest="device_port", metavar="PATH",
                   help="the device's serial port (default: $ONTSPAN_PORT, else the Pico found)")
    p.add_argument("--db", type=Path, help="archive file (default: in the user data folder)")
    p.add_argument("--lang", choices=("nl", "en"), help="language (default: the system's)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..app.server import serve

    try:
        serve(args.host, args.port, allow_remote=args.allow_remote, device_port=args.device_port,
              archive=args.db, lang=args.lang, open_browser=not args.no_browser)
    except KeyboardInterrupt:
        pass
    return EXIT_OK
