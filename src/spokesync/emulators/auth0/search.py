"""The small Lucene subset the user search (``GET /api/v2/users?q=``) understands.

Supported: ``field:value`` and ``field:"quoted value"`` (dotted paths such as
``identities.connection`` or ``user_metadata.team``; ``*`` and ``?`` wildcards in unquoted
values), ranges ``field:[A TO B]`` / ``{A TO B}`` / mixed, with ``*`` for an open end,
``_exists_:field``, ``AND``/``OR``/``NOT`` (also ``&&``/``||``), parentheses, and field
grouping ``field:("a" OR "b")`` (Lucene query parser syntax, "Field Grouping", which Auth0's
v3 search follows: "Multiple terms can be grouped together with parentheses", reference §5).
Normalized fields (email, name, given_name, family_name, nickname) match ignoring case, as
Auth0 documents; others are case-sensitive. Anything else raises QueryError: the caller
answers 400 rather than silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

UserDoc = dict[str, Any]
Predicate = Callable[[UserDoc], bool]

CASE_INSENSITIVE = frozenset({"email", "name", "given_name", "family_name", "nickname"})
_FIELD = re.compile(r"([A-Za-z_][\w.\-]*):")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT"}


class QueryError(ValueError):
    """The query uses syntax this emulator does not support, or is malformed."""


@dataclass(frozen=True)
class Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "TERM"
    predicate: Predicate | None = None


# values --------------------------------------------------------------------------------------


def field_values(doc: UserDoc, path: str) -> list[Any]:
    """Leaf values at a dotted path; lists along the way are searched element by element."""
    current: list[Any] = [doc]
    for part in path.split("."):
        found: list[Any] = []
        for value in current:
            items = value if isinstance(value, list) else [value]
            found.extend(item[part] for item in items if isinstance(item, dict) and part in item)
        current = found
    leaves: list[Any] = []
    for value in current:
        leaves.extend(value if isinstance(value, list) else [value])
    return [value for value in leaves if value is not None]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_datetime(text: str) -> datetime | None:
    if not _DATE.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare(value: Any, bound: str) -> int:
    """-1, 0 or 1 comparing a stored value with a range bound: dates, then numbers, then text."""
    text = _text(value)
    left_date, right_date = _as_datetime(text), _as_datetime(bound)
    if left_date is not None and right_date is not None:
        return (left_date > right_date) - (left_date < right_date)
    try:
        left_num, right_num = float(text), float(bound)
        return (left_num > right_num) - (left_num < right_num)
    except ValueError:
        return (text > bound) - (text < bound)


# term predicates -----------------------------------------------------------------------------


def _exists(path: str) -> Predicate:
    return lambda doc: bool(field_values(doc, path))


def _equals(path: str, wanted: str, *, wildcard: bool) -> Predicate:
    fold = path in CASE_INSENSITIVE
    if fold:
        wanted = wanted.lower()
    if wildcard:
        if wanted == "*":
            return _exists(path)
        pattern = "".join(
            ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in wanted
        )
        regex = re.compile(pattern, re.DOTALL)

        def matches_pattern(doc: UserDoc) -> bool:
            return any(
                regex.fullmatch(_text(v).lower() if fold else _text(v))
                for v in field_values(doc, path)
            )

        return matches_pattern

    def matches(doc: UserDoc) -> bool:
        return any(
            (_text(v).lower() if fold else _text(v)) == wanted for v in field_values(doc, path)
        )

    return matches


def _range(path: str, low: str | None, high: str | None, low_in: bool, high_in: bool) -> Predicate:
    def inside(value: Any) -> bool:
        if low is not None:
            order = _compare(value, low)
            if order < 0 or (order == 0 and not low_in):
                return False
        if high is not None:
            order = _compare(value, high)
            if order > 0 or (order == 0 and not high_in):
                return False
        return True

    return lambda doc: any(inside(v) for v in field_values(doc, path))


# tokenizer -----------------------------------------------------------------------------------


def _read_quoted(query: str, start: int) -> tuple[str, int]:
    """The text of a quoted string starting at ``query[start] == '"'`` and the index after it."""
    out: list[str] = []
    index = start + 1
    while index < len(query):
        ch = query[index]
        if ch == "\\" and index + 1 < len(query):
            out.append(query[index + 1])
            index += 2
            continue
        if ch == '"':
            return "".join(out), index + 1
        out.append(ch)
        index += 1
    raise QueryError("unterminated quoted string")


def _read_bare(query: str, start: int) -> tuple[str, int, bool]:
    """An unquoted value up to whitespace or ')'; reports whether it holds a live wildcard."""
    out: list[str] = []
    wildcard = False
    index = start
    while index < len(query) and not query[index].isspace() and query[index] not in "()":
        ch = query[index]
        if ch == "\\" and index + 1 < len(query):
            out.append(query[index + 1])
            index += 2
            continue
        if ch in "*?":
            wildcard = True
        out.append(ch)
        index += 1
    return "".join(out), index, wildcard


def _bound(text: str) -> str | None:
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return text[1:-1]
    return None if text == "*" else text


def _read_range(path: str, query: str, start: int) -> tuple[Predicate, int]:
    close = min((i for i in (query.find("]", start), query.find("}", start)) if i >= 0), default=-1)
    if close < 0:
        raise QueryError(f"unterminated range for {path}")
    inner = query[start + 1 : close]
    parts = re.split(r"\s+TO\s+", inner.strip())
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise QueryError(f"range for {path} must look like [A TO B]")
    low, high = _bound(parts[0]), _bound(parts[1])
    predicate = _range(path, low, high, query[start] == "[", query[close] == "]")
    return predicate, close + 1


def _term(query: str, path: str, index: int) -> tuple[Predicate, int]:
    if index >= len(query) or query[index].isspace():
        raise QueryError(f"missing value after {path}:")
    ch = query[index]
    if path == "_exists_":
        name, end, _ = _read_bare(query, index)
        return _exists(name), end
    if ch == '"':
        value, end = _read_quoted(query, index)
        return _equals(path, value, wildcard=False), end
    if ch in "[{":
        return _read_range(path, query, index)
    if ch == "(":
        end = _group_end(query, index)
        parser = _Parser(list(_tokens(query[index + 1 : end], field=path)))
        if parser.peek() is None:
            raise QueryError(f"empty group after {path}:")
        predicate = parser.expression()
        if parser.peek() is not None:
            raise QueryError(f"unexpected {parser.peek()} in the group of {path}")
        return predicate, end + 1
    value, end, wildcard = _read_bare(query, index)
    return _equals(path, value, wildcard=wildcard), end


def _group_end(query: str, start: int) -> int:
    """The index of the ``)`` closing the group opened at ``query[start] == "("``."""
    depth = 0
    index = start
    while index < len(query):
        ch = query[index]
        if ch == "\\":
            index += 2
            continue
        if ch == '"':
            _, index = _read_quoted(query, index)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise QueryError("missing closing parenthesis")


def _tokens(query: str, field: str | None = None) -> Iterator[Token]:
    """Tokens of ``query``; inside a field group, bare and quoted values apply to ``field``."""
    index = 0
    while index < len(query):
        ch = query[index]
        if ch.isspace():
            index += 1
        elif ch in "()":
            yield Token(ch)
            index += 1
        elif ch == '"' and field is not None:
            value, index = _read_quoted(query, index)
            yield Token("TERM", _equals(field, value, wildcard=False))
        elif match := _FIELD.match(query, index):
            predicate, index = _term(query, match.group(1), match.end())
            yield Token("TERM", predicate)
        else:
            word, index, wildcard = _read_bare(query, index)
            if word not in _OPERATORS and field is not None:
                yield Token("TERM", _equals(field, word, wildcard=wildcard))
                continue
            if word not in _OPERATORS:
                raise QueryError(
                    f"unsupported query syntax near {word!r}: use field:value terms "
                    "joined by AND/OR"
                )
            yield Token(_OPERATORS[word])


# parser --------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index].kind if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda doc: any(p(doc) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek() in ("AND", "TERM", "(", "NOT"):
            if self.peek() != "AND":
                raise QueryError("terms must be joined by AND or OR")
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda doc: all(p(doc) for p in parts))

    def unary(self) -> Predicate:
        kind = self.peek()
        if kind is None:
            raise QueryError("the query ends where a term was expected")
        token = self.take()
        if kind == "NOT":
            inner = self.unary()
            return lambda doc: not inner(doc)
        if kind == "(":
            inner = self.expression()
            if self.peek() != ")":
                raise QueryError("missing closing parenthesis")
            self.take()
            return inner
        if kind == "TERM" and token.predicate is not None:
            return token.predicate
        raise QueryError(f"unexpected {kind}")


def compile_query(query: str) -> Predicate:
    """A predicate over user documents for a ``q`` value; raises QueryError on bad syntax."""
    parser = _Parser(list(_tokens(query)))
    if parser.peek() is None:
        raise QueryError("the query is empty")
    predicate = parser.expression()
    if parser.peek() is not None:
        raise QueryError(f"unexpected {parser.peek()}")
    return predicate


def sort_key(spec: str) -> tuple[str, bool]:
    """``"updated_at:1"`` -> (field, descending?); raises QueryError when malformed."""
    field, _, order = spec.partition(":")
    if not field or order not in ("1", "-1"):
        raise QueryError("sort must look like field:1 or field:-1")
    return field, order == "-1"
