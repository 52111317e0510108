"""The `ontspan` command line: a thin layer over the library modules.

Each command module of this package adds its subcommands with `register(subparsers)`; every
handler takes the parsed args and returns an exit code. Errors the user can act
on are `OntspanError`s and print as `ontspan: message`.
"""

import argparse
import importlib
import sys

from .. import __version__
from ..errors import EXIT_FAIL, EXIT_USAGE, DeviceLost, OntspanError
from ..textsafe import for_terminal

# one line per command module, in the order `--help` lists them
COMMAND_MODULES = [
    "ontspan.cli.sim",
    "ontspan.cli.protocols",
    "ontspan.cli.library",
    "ontspan.cli.logs",
    "ontspan.cli.patient",
    "ontspan.cli.device",
    "ontspan.cli.plan",
    "ontspan.cli.feel",
    "ontspan.cli.app",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ontspan",
        description="Ontspan: write, check, load and play relaxation protocols; "
        "pull practice logs and read reports.",
    )
    parser.add_argument("--version", action="version", version=f"ontspan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args) or 0)
    except DeviceLost as e:
        what = " ".join(str(v) for v in (args.command, getattr(args, f"{args.command}_command", None)) if v)
        print(for_terminal(f"ontspan: lost the device during {what} ({e}); run it again to continue"),
              file=sys.stderr)
        return e.exit_code
    except OntspanError as e:
        print(for_terminal(f"ontspan: {e}"), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("ontspan: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
