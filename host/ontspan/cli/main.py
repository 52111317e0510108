"""The `ontspan` command line: a thin layer over the library modules.

Each command module of this package adds its subcommands with `register(subparsers)`; a run
loads only the module of its own command (COMMANDS), every module for help and errors. Every
handler takes the parsed args and returns an exit code. Errors the user can act
on are `OntspanError`s and print as `ontspan: message`.
"""

import argparse
import importlib
import sys

from .. import __version__
from ..errors import EXIT_FAIL, EXIT_USAGE, DeviceLost, OntspanError
from ..textsafe import for_terminal

# every command and the module that registers it (`register(subparsers)`), in the order
# `--help` lists them; tests/test_cli_commands.py checks that registering every module
# gives exactly these commands, in this order
COMMANDS = {
    "sim": "ontspan.cli.sim",
    "check": "ontspan.cli.protocols",
    "compile": "ontspan.cli.protocols",
    "preview": "ontspan.cli.protocols",
    "library": "ontspan.cli.library",
    "new": "ontspan.cli.library",
    "logs": "ontspan.cli.logs",
    "device": "ontspan.cli.logs",
    "report": "ontspan.cli.logs",
    "patient": "ontspan.cli.patient",
    "ports": "ontspan.cli.device",
    "info": "ontspan.cli.device",
    "flash": "ontspan.cli.device",
    "start": "ontspan.cli.device",
    "stop": "ontspan.cli.device",
    "status": "ontspan.cli.device",
    "clock": "ontspan.cli.settings",
    "config": "ontspan.cli.settings",
    "install": "ontspan.cli.settings",
    "plan": "ontspan.cli.plan",
    "feel": "ontspan.cli.feel",
    "app": "ontspan.cli.app",
}
COMMAND_MODULES = list(dict.fromkeys(COMMANDS.values()))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or (`command` given) of the commands of its module
    only: a run loads what its own command needs, not every command's library."""
    parser = argparse.ArgumentParser(
        prog="ontspan",
        description="Ontspan: write, check, load and play relaxation protocols; "
        "pull practice logs and read reports.",
    )
    parser.add_argument("--version", action="version", version=f"ontspan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in [COMMANDS[command]] if command else COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def command_of(argv: list[str]) -> str | None:
    """The command when argv starts with a known one; None otherwise (no command, an
    option first such as --help, an unknown or misspelt command): then the parser holds
    every command, so help, usage and argparse's errors are the whole program's."""
    return argv[0] if argv and argv[0] in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = command_of(argv)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):  # no command given
        (build_parser() if command else parser).print_help()
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
