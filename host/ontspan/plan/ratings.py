"""Ratings a trial can use: what each library protocol asks, and whether a plan's
trial sessions can ever be rated before and after.

A trial treatment is judged on tension before and after its first sessions; a
plan whose moments all play protocols that ask only after (or nothing) can never
give that. A moment's `rating` override (docs/plans.md) lets a bedtime protocol
ask during the trial days and stop afterwards.
"""

from __future__ import annotations

from functools import cache

from .. import catalog
from ..protocols.parser import load_protocol
from .model import RATING_NAMES, Plan

ASKS = {"none": "none", "after": "after", "before_after": "both"}  # as `library` shows it


@cache
def library_ratings() -> dict[str, str]:
    """Library protocol name -> its rating mode (RATING_NAMES)."""
    out = {}
    for path in catalog.library_files():
        proto, _ = load_protocol(path)
        if proto is not None:
            out[proto.name] = RATING_NAMES[proto.rating]
    return out


def trial_rating_warning(plan: Plan, known: dict[str, str] | None = None) -> str | None:
    """A warning when no moment of the plan can give a before-and-after rating in
    the trial, naming library protocols that would; None when one can, or when a
    moment's protocol is not in the library (then its rating is not known here)."""
    known = library_ratings() if known is None else known
    asks = []
    for m in plan.moments:
        mode = m.rating_mode or known.get(m.protocol)
        if mode is None:
            return None
        if mode == "before_after":
            return None
        asks.append(f"{m.protocol} asks {ASKS[mode]}")
    both = sorted(n for n, mode in known.items() if mode == "before_after")
    instead = f"library protocols that ask before and after: {', '.join(both)}; " if both else ""
    return (f"the trial's sessions can never be rated before and after "
            f"({'; '.join(dict.fromkeys(asks))}): {instead}or keep the protocol and give its "
            "moment rating = \"both\" with rating_days = 7 (rates during the trial days only)")
