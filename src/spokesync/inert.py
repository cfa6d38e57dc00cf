"""Inert output: text from data and errors shown as it is, never interpreted by a terminal.

Everything an Auth0 tenant sends is attacker-controlled. A ``user_id`` carrying ``ESC[2J``, an
OSC 8 hyperlink, a newline or a bidi override (U+202E) would clear, rewrite or reorder what an
operator reads. Every terminal-bound string from data or errors goes through this module:

* :func:`escape` shows each non-printing character as a Python-style escape (``\\x1b``,
  ``\\u202e``, ``\\n``): C0 and C1 controls, DEL, bidi overrides and isolates, and every other
  character of the Unicode categories Cc, Cf, Zl, Zp, Co, Cs and Cn. Printable text, non-ASCII
  included ("Zoë", "王"), is left as it is; spaces other than U+0020 (Zs) are printable.
  The result has no line break, so one identity never spans two lines.
* :func:`show` is :func:`escape` after :func:`~spokesync.redact.redact` (secrets masked
  first), for anything printed; :func:`cell` wraps it in a rich ``Text`` so tables and
  ``Console.print`` never read it as markup (``[invalid_scope]`` stays visible).
* :func:`json_text` is JSON whose strings carry the same characters as ``\\uXXXX`` escapes
  (``ensure_ascii``-style, but only for non-printing characters: printable non-ASCII stays
  readable UTF-8, which every JSON parser reads the same).

A backslash is left as it is: text that spells ``\\x1b`` is harmless to show.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from rich.text import Text

from spokesync.redact import redact

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(char: str) -> bool:
    # str.isprintable() is False for Cc, Cf, Cs, Co, Cn, Zl, Zp and for every Zs but U+0020;
    # a no-break or ideographic space is harmless and reads as a space.
    return char.isprintable() or unicodedata.category(char) == "Zs"


def _escape_char(char: str) -> str:
    short = _SHORT.get(char)
    if short is not None:
        return short
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    if point < 0x10000:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def escape(text: str) -> str:
    """``text`` with every non-printing character shown as an escape (see the module doc)."""
    if text.isprintable():  # the common case: one C-level pass, no copy
        return text
    return "".join(c if _visible(c) else _escape_char(c) for c in text)


def show(value: object) -> str:
    """``value`` as text fit for a terminal or a log line: secrets masked, then escaped."""
    return escape(redact(value if isinstance(value, str) else str(value)))


def short(value: object, width: int) -> str:
    """A value for one line of a table or a list: ``(none)`` for nothing, else the value as
    :func:`show` gives it, cut to ``width`` characters with an ellipsis."""
    text = "(none)" if value is None or value == "" else show(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def cell(value: object, style: str = "") -> Text:
    """:func:`show` as a rich ``Text``: printed or put in a table, it is never markup."""
    return Text(show(value), style=style)


def show_lines(text: str) -> str:
    """A multi-line text of our own (a traceback) kept on its lines, each line escaped."""
    return "\n".join(escape(line) for line in redact(text).split("\n"))


def _json_escape_char(char: str) -> str:
    point = ord(char)
    if point < 0x10000:
        return f"\\u{point:04x}"
    high, low = divmod(point - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def escape_json(encoded: str) -> str:
    """Encoded JSON with each raw non-printing character inside its strings as ``\\uXXXX``.

    ``json.dumps`` already escapes C0 controls; DEL, C1, bidi and the rest it leaves raw. Outside
    strings, JSON text is printable ASCII and the line breaks of indentation, which stay.
    """
    if encoded.isprintable():
        return encoded
    return "".join(c if c == "\n" or _visible(c) else _json_escape_char(c) for c in encoded)


def json_text(data: Any, *, indent: int | None = 2, **options: Any) -> str:
    """``data`` as JSON: secrets masked, non-printing characters escaped (see the module doc).

    ``options`` go to :func:`json.dumps` (structlog passes ``default``).
    """
    options.setdefault("default", str)
    encoded = json.dumps(data, indent=indent, ensure_ascii=False, **options)
    return escape_json(redact(encoded))
