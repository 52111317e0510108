"""Progress bars, drawn on a terminal only.

tqdm draws none when stderr is not a terminal (its `disable=None`), and loading it costs
more than a short command takes (tens of ms, hundreds on a busy machine); so off a
terminal, or when the output is for a program, it is not loaded at all.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any


def on_terminal() -> bool:
    """Would tqdm draw on stderr (its own test for `disable=None`)?"""
    return bool(getattr(sys.stderr, "isatty", None) and sys.stderr.isatty())


@contextlib.contextmanager
def progress_bar(shown: bool = True, **tqdm_args: Any) -> Iterator[Any]:
    """A tqdm bar on stderr, closed on leaving; None when none is drawn (`shown` false or
    stderr not a terminal)."""
    if not (shown and on_terminal()):
        yield None
        return
    from tqdm import tqdm

    with tqdm(file=sys.stderr, disable=None, **tqdm_args) as bar:
        yield bar
