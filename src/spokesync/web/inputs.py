"""Reading what a request sends without ever raising anything but :class:`BadInput`.

Query text is printable and bounded; query numbers are ASCII digits within bounds
(``int()`` takes ``²`` and ``-1``, and a 100,000-digit number costs time to convert); JSON
is checked for depth before it is parsed (deep nesting makes ``json.loads`` raise
RecursionError); forms have a bounded number of fields. The body's size is bounded before
any of this (:mod:`spokesync.web.limits`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

#: Nesting deeper than this is refused before parsing: no request of ours needs more than 2.
MAX_JSON_DEPTH = 32
#: A dashboard form has at most three fields.
MAX_FORM_FIELDS = 16
#: An identity, a login or a run id fits in far less.
MAX_QUERY_TEXT = 1024
#: Store row ids and similar counters fit well below this.
MAX_QUERY_INT = 2**53

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class BadInput(ValueError):
    """A request value that cannot be used; the message names it and says what fits."""


def query_int(text: str | None, name: str, maximum: int = MAX_QUERY_INT) -> int | None:
    """``text`` (a query parameter) as an integer from 0 to ``maximum``; None when absent."""
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        raise BadInput(f"{name} must be a whole number from 0 to {maximum}")
    value = int(text)
    if value > maximum:
        raise BadInput(f"{name} must be a whole number from 0 to {maximum}")
    return value


def query_text(text: str | None, name: str, max_chars: int = MAX_QUERY_TEXT) -> str | None:
    """``text`` (a query parameter) stripped, printable and at most ``max_chars`` long; None
    when absent or empty. A control character (PostgreSQL refuses NUL in text) is refused."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if len(value) > max_chars or not value.isprintable():
        raise BadInput(f"{name} must be printable text of at most {max_chars} characters")
    return value


def json_depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def json_value(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON document ``body`` holds (UTF-8, nested at most ``max_depth`` deep)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("the body must be JSON in UTF-8") from None
    if json_depth(text) > max_depth:
        raise BadInput(f"the JSON body nests deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BadInput("the body is not valid JSON") from None


def form_fields(body: bytes) -> dict[str, str]:
    """A url-encoded form's fields, the first value of each."""
    try:
        fields = parse_qs(
            body.decode("utf-8", errors="replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:
        raise BadInput(f"the form has more than {MAX_FORM_FIELDS} fields") from None
    return {key: values[0] for key, values in fields.items()}
