"""Text that is safe to store and to print.

Text fields the user writes (protocol titles and names, device labels) must
not carry control characters: C0 (U+0000..U+001F, DEL), C1 (U+0080..U+009F)
or the bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069)
that make a terminal or a report show something other than what is stored.
`control_char_error` says where the first one is; `for_terminal` escapes
anything non-printable in output, whatever its source.
"""

from __future__ import annotations

import unicodedata

from .errors import InputError

_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))


def is_control(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or o == 0x7F or 0x80 <= o <= 0x9F or o in _BIDI


def control_char_error(text: str, what: str) -> str | None:
    """None if `text` is clean, else a one-line message naming the character."""
    for i, ch in enumerate(text):
        if is_control(ch):
            name = unicodedata.name(ch, "control character")
            return (f"{what} contains U+{ord(ch):04X} ({name.lower()}) at character {i + 1}: "
                    "control characters are not allowed")
    return None


def refuse_control(text: str, what: str) -> str:
    """`text` unchanged, or InputError if it carries a control character."""
    err = control_char_error(text, what)
    if err:
        raise InputError(err)
    return text


def for_terminal(text: str) -> str:
    """`text` with every non-printable character escaped (\\x07, \\u202e); newlines
    and tabs stay."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\n\t" or (ch.isprintable() and not is_control(ch)):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return "".join(out)
