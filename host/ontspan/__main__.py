"""`ontspan`, the program (the console script and `python -m ontspan`): a Ctrl-C is
one line, "ontspan: interrupted", and exit status 130 from the first instruction
here to the last, imports included.

While modules load and after the command has returned there is nothing to undo, so
a Ctrl-C ends the process at once. While the command runs it is a KeyboardInterrupt,
so the command cleans up (an archive write rolled back, a port closed) and
`cli.main` says the line; a second Ctrl-C does not interrupt that cleanup.
"""

import os
import signal
import sys

EXIT_INTERRUPTED = 130
_LINE = b"ontspan: interrupted\n"


def _exit_now(signum, frame):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sys.stdout.flush()  # what the command printed before it stays printed
    except (OSError, ValueError, RuntimeError):  # closed, or the handler came mid-write
        pass
    os.write(2, _LINE)
    os._exit(EXIT_INTERRUPTED)


_interrupted = False


def _first_interrupt(signum, frame):
    global _interrupted
    _interrupted = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the cleanup of this one runs to its end
    raise KeyboardInterrupt


def _quiet_unraisable(hook):
    """A KeyboardInterrupt raised where Python can only ignore it (a weakref callback or
    a __del__, e.g. importlib's module-lock callback) is not a traceback on the screen:
    `run` says the one line once the command returns."""
    def quiet(unraisable):
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)
    return quiet


signal.signal(signal.SIGINT, _exit_now)  # before the imports below

from ontspan.cli.main import main  # noqa: E402


def run() -> int:
    sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)
    try:
        signal.signal(signal.SIGINT, _first_interrupt)
        rc = main()
        if _interrupted and rc != EXIT_INTERRUPTED:  # the interrupt was swallowed on its way
            os.write(2, _LINE)
            return EXIT_INTERRUPTED
        return rc
    except KeyboardInterrupt:  # before main's own try (its command modules loading)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.write(2, _LINE)
        return EXIT_INTERRUPTED
    finally:
        if signal.getsignal(signal.SIGINT) is _first_interrupt:
            signal.signal(signal.SIGINT, _exit_now)  # from here to the process's end


if __name__ == "__main__":
    sys.exit(run())
