"""The firmware's contract (firmware/contract.py) as the host reads it.

`C` is that very module, imported under CPython; `code_names` turns one of its
prefixed groups (CMD_, ERR_, E_, K_, OP_, STATE_, FLAG_) into a code -> name
table, so a value added there reaches every host table without a second copy.
"""

from __future__ import annotations

from .firmware import contract as C

__all__ = ["C", "code_names"]


def code_names(prefix: str, keep_prefix: bool = False) -> dict[int, str]:
    """{value: name} of the contract's ints whose name starts with `prefix`."""
    out: dict[int, str] = {}
    for name, value in vars(C).items():
        if name.startswith(prefix) and isinstance(value, int) and not isinstance(value, bool):
            out[value] = name if keep_prefix else name[len(prefix) :]
    return out
