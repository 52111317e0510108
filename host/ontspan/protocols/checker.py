"""Diagnostics and the typed getters that produce them.

Checking never raises: every problem becomes a `Diagnostic` with the file,
the line of the key (where the source shows it) and the key path, and says
what is wrong and what is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..textsafe import control_char_error, for_terminal
from .positions import KeyPath, locate_keys


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning"
    path: str
    line: int | None
    key: str
    message: str
    column: int | None = None  # where the source shows it (TOML syntax errors)

    def __str__(self) -> str:
        loc = f"{self.path}:{self.line}" if self.line else self.path
        if self.line and self.column:
            loc += f":{self.column}"
        where = f"{self.key}: " if self.key else ""
        # keys and paths come from files: printed escaped wherever a diagnostic goes
        return for_terminal(f"{loc}: {self.severity}: {where}{self.message}")

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "column": self.column,
        }


_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)")
_UNIT = re.compile(r"([+-]?\d[\d_.]*)\s*([A-Za-z%]\w*)")
_QUOTE = re.compile(r'"""|' + r"'''|" + r"""["']""")


def toml_error(e: Exception, text: str, path: str) -> Diagnostic:
    """A TOML syntax error as file:line:column and what is wrong in plain words."""
    said = str(e)
    m = _AT.search(said)
    raw = _AT.sub("", said)
    lines = text.splitlines() or [""]
    if m and m.group(1):
        line, col = int(m.group(1)), int(m.group(2))
    elif m:  # at the end of the document
        line, col = len(lines), len(lines[-1]) + 1
    else:
        return Diagnostic("error", path, None, "", f"not valid TOML: {raw}")
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    key, eq, value = src.partition("=")
    key, value = key.strip(), value.strip()
    if raw.startswith(("Illegal character '\\n'", "Unterminated string", "Expected \"'\"")):
        line, col, quote = _opening_quote(lines, line)
        what = f"a quote is not closed: the text that starts here needs a closing {quote}"
        if len(quote) == 1:
            what += " on the same line"
    elif raw.startswith("Expected newline or end of document"):
        unit = _UNIT.match(value) if eq else None
        if unit:
            what = (f"`{unit.group(0)}`: a number cannot have a unit after it; write the "
                    "number alone, the key's name says the unit (as in `tense_s = 5`)")
        else:
            what = ("something follows the value on the same line; write one `key = value` "
                    "a line (a comment starts with #)")
    elif raw.startswith("Expected '=' after a key"):
        name = key.split()[0] if key else "the key"
        what = f"missing `=` after `{name}`: write `key = value`"
    elif raw == "Invalid value":
        what = ("two `=`: write `key = value`" if value.startswith("=") else
                'not a value: text needs quotes ("like this"); numbers (5, 2.5), true/false '
                "and [lists] do not")
    elif raw.startswith(("Cannot overwrite a value", "Cannot declare")):
        what = "this key or table is given twice"
    elif raw.startswith("Invalid date or datetime"):
        what = "not a real date: write it as YYYY-MM-DD, e.g. 2026-12-01"
    elif raw.startswith("Expected ']' at the end of a table"):
        what = "a table header needs its closing `]`, as in `[plan]`"
    elif raw.startswith("Unclosed array"):
        what = "a list opened with `[` is not closed with `]`"
    elif raw.startswith("Unclosed inline table"):
        what = "a `{ ... }` table is not closed with `}`, or its items lack commas between them"
    else:
        what = raw[:1].lower() + raw[1:]
    return Diagnostic("error", path, line, "", f"not valid TOML: {what}", col)


def _opening_quote(lines: list[str], line: int) -> tuple[int, int, str]:
    """(line, column, quote) of the last quote opened at or before `line` and not closed."""
    for n in range(min(line, len(lines)), 0, -1):
        src, pos = lines[n - 1], 0
        while (q := _QUOTE.search(src, pos)) is not None:
            end = src.find(q.group(0), q.end())
            if end < 0:
                return n, q.start() + 1, q.group(0)
            pos = end + len(q.group(0))
    return line, 1, '"'


def format_key(path: KeyPath) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


class Checker:
    """Collects diagnostics for one file; knows where keys are in the source."""

    def __init__(self, path: str, text: str = ""):
        self.path = path
        self.lines = locate_keys(text) if text else {}
        self.diags: list[Diagnostic] = []

    def line_of(self, key: KeyPath) -> int | None:
        for i in range(len(key), 0, -1):
            if key[:i] in self.lines:
                return self.lines[key[:i]]
        return None

    def add(self, severity: str, key: KeyPath, message: str) -> None:
        self.diags.append(
            Diagnostic(severity, self.path, self.line_of(key), format_key(key), message)
        )

    def error(self, key: KeyPath, message: str) -> None:
        self.add("error", key, message)

    def warn(self, key: KeyPath, message: str) -> None:
        self.add("warning", key, message)

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.diags)

    # -- typed getters: report and return None on anything wrong

    def keys(self, table: dict[str, Any], key: KeyPath, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for k in table:
            if k not in allowed:
                import difflib  # here: a misspelt key is rare, and checking runs on every flash

                close = difflib.get_close_matches(k, allowed, n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                self.error(
                    key + (k,), f"unknown key `{k}`{hint}; allowed here: {', '.join(allowed)}"
                )

    def number(
        self, table: dict[str, Any], key: KeyPath, name: str, *, integer: bool = False
    ) -> int | float | None:
        v = table.get(name)
        what = "a whole number" if integer else "a number"
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.error(key + (name,), f"`{name}` must be {what}, got {show(v)}")
            return None
        if isinstance(v, float) and (integer or not math.isfinite(v)):
            self.error(key + (name,), f"`{name}` must be {what}, got {v!r}")
            return None
        return v

    def int_in(
        self, table: dict[str, Any], key: KeyPath, name: str, lo: int, hi: int, unit: str = ""
    ) -> int | None:
        v = self.number(table, key, name, integer=True)
        if v is None:
            return None
        if not lo <= v <= hi:
            self.error(key + (name,), f"`{name}` is {v}{unit}; allowed {lo} to {hi}{unit}")
            return None
        return int(v)

    def ds_in(
        self, table: dict[str, Any], key: KeyPath, name: str, lim: tuple[int, int]
    ) -> int | None:
        """Seconds with 0.1 s resolution, as deciseconds within `lim` (ds)."""
        v = self.number(table, key, name)
        if v is None:
            return None
        allowed = f"allowed {tenths_s(lim[0])} to {tenths_s(lim[1])} s in 0.1 s steps"
        if not lim[0] - 1 <= v * 10 <= lim[1] + 1:
            self.error(key + (name,), f"`{name}` is {v} s; {allowed}")
            return None
        tenths = round(v * 10)
        if abs(v * 10 - tenths) > 1e-6:
            self.error(key + (name,), f"`{name}` is {v} s, finer than 0.1 s; {allowed}")
            return None
        if not lim[0] <= tenths <= lim[1]:
            self.error(key + (name,), f"`{name}` is {v} s; {allowed}")
            return None
        return tenths

    def string(
        self, table: dict[str, Any], key: KeyPath, name: str, max_len: int = 200,
        multiline: bool = False,
    ) -> str | None:
        v = table.get(name)
        if not isinstance(v, str):
            self.error(key + (name,), f"`{name}` must be a string, got {show(v)}")
            return None
        # text safe to print: no control characters (textsafe.py); a multi-line
        # field may keep its line breaks and tabs
        err = control_char_error(v.replace("\n", " ").replace("\t", " ") if multiline else v,
                                 f"`{name}`")
        if err:
            self.error(key + (name,), err)
            return None
        if len(v) > max_len:
            self.error(
                key + (name,), f"`{name}` is {len(v)} characters long; at most {max_len} allowed"
            )
            return None
        return v

    def boolean(self, table: dict[str, Any], key: KeyPath, name: str, default: bool) -> bool:
        v = table.get(name, default)
        if not isinstance(v, bool):
            self.error(key + (name,), f"`{name}` must be true or false, got {show(v)}")
            return default
        return v

    def choice(
        self, table: dict[str, Any], key: KeyPath, name: str, options: Sequence[str]
    ) -> int | None:
        v = table.get(name)
        if not isinstance(v, str) or v not in options:
            self.error(
                key + (name,),
                f"`{name}` is {show(v)}; allowed: {', '.join(repr(o) for o in options)}",
            )
            return None
        return options.index(v)

    def table(self, value: Any, key: KeyPath, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(key, f"{what} must be a table, got {show(value)}")
            return None
        return value


def show(v: Any) -> str:
    if v is None:
        return "nothing (the key is missing)"
    kind = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "table",
    }.get(type(v), type(v).__name__)
    text = repr(v)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({kind})"


def tenths_s(ds: int) -> str:
    return f"{ds / 10:g}"
