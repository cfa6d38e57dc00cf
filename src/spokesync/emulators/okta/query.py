"""The subset of Okta's SCIM-like ``filter`` / ``search`` expressions the emulator serves.

Grammar: ``expr := term ("or" term)*``, ``term := factor ("and" factor)*``,
``factor := "(" expr ")" | attribute "pr" | attribute operator value``: ``pr`` (present)
takes no value and holds when the attribute has one (Okta answered
``profile.email pr and profile.firstName eq "TestAcc"`` with 200:
okta/terraform/users-list-search.json #10). Values are double-quoted strings
(``\\"`` escapes) or the bare words true, false, null and numbers. Which attributes and
operators are allowed, and whether values compare case-sensitively, is up to the caller:
``filter`` is case-sensitive, ``search`` is not (reference §3).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

COMPARISONS = frozenset({"eq", "sw", "co", "gt", "ge", "lt", "le", "pr"})
DATE_OPERATORS = frozenset({"eq", "gt", "ge", "lt", "le"})

Kind = Literal["text", "date"]
#: attribute -> (kind, allowed operators), or None when the attribute is not allowed
Rules = Callable[[str], "tuple[Kind, frozenset[str]] | None"]
#: reads one attribute of the record under test (dates as epoch seconds)
Getter = Callable[[str], Any]
Predicate = Callable[[Getter], bool]


class QueryError(ValueError):
    """The expression is malformed or uses an attribute or operator that is not allowed."""


@dataclass(frozen=True)
class Comparison:
    attribute: str
    operator: str
    value: str | None


@dataclass(frozen=True)
class Junction:
    operator: Literal["and", "or"]
    parts: tuple[Expr, ...]


Expr = Comparison | Junction

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is "(", ")", "string" or "word"."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError("unreadable expression")
        opening, closing, quoted, word = match.groups()
        if opening:
            tokens.append(("(", opening))
        elif closing:
            tokens.append((")", closing))
        elif quoted is not None:
            tokens.append(("string", re.sub(r"\\(.)", r"\1", quoted)))
        else:
            tokens.append(("word", word))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek_word(self) -> str | None:
        if self.index < len(self.tokens) and self.tokens[self.index][0] == "word":
            return self.tokens[self.index][1].lower()
        return None

    def take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise QueryError("unexpected end of expression")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self) -> Expr:
        parts = [self.term()]
        while self.peek_word() == "or":
            self.index += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Junction("or", tuple(parts))

    def term(self) -> Expr:
        parts = [self.factor()]
        while self.peek_word() == "and":
            self.index += 1
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))

    def factor(self) -> Expr:
        kind, text = self.take()
        if kind == "(":
            inner = self.expression()
            if self.take()[0] != ")":
                raise QueryError("missing )")
            return inner
        if kind != "word":
            raise QueryError("expected an attribute")
        op_kind, operator = self.take()
        operator = operator.lower()
        if op_kind != "word" or operator not in COMPARISONS:
            raise QueryError("expected an operator")
        if operator == "pr":
            return Comparison(text, operator, None)
        value_kind, value = self.take()
        if value_kind == "string":
            return Comparison(text, operator, value)
        if value_kind == "word" and value.lower() == "null":
            return Comparison(text, operator, None)
        if value_kind == "word" and re.fullmatch(r"true|false|-?\d+(\.\d+)?", value.lower()):
            return Comparison(text, operator, value.lower())
        raise QueryError("expected a value")


def parse(text: str) -> Expr:
    """The expression tree of ``text``; raises QueryError when it is not well-formed."""
    parser = _Parser(text)
    expr = parser.expression()
    if parser.index != len(parser.tokens):
        raise QueryError("trailing input")
    return expr


def compile_predicate(text: str, rules: Rules, *, case_sensitive: bool) -> Predicate:
    """Parse, check against ``rules`` and turn into a predicate over a record getter."""
    return _compile(parse(text), rules, case_sensitive)


def _compile(expr: Expr, rules: Rules, case_sensitive: bool) -> Predicate:
    if isinstance(expr, Junction):
        parts = [_compile(part, rules, case_sensitive) for part in expr.parts]
        if expr.operator == "and":
            return lambda get: all(part(get) for part in parts)
        return lambda get: any(part(get) for part in parts)
    rule = rules(expr.attribute)
    if rule is None:
        raise QueryError(f"attribute not supported: {expr.attribute}")
    kind, operators = rule
    if expr.operator not in operators:
        raise QueryError(f"operator not supported: {expr.operator}")
    if expr.operator == "pr":
        return _present_predicate(expr.attribute)
    if kind == "date":
        return _date_predicate(expr)
    return _text_predicate(expr, case_sensitive)


def _present_predicate(attribute: str) -> Predicate:
    """``pr``: the attribute has a value (not null, not an empty string or list)."""

    def predicate(get: Getter) -> bool:
        return get(attribute) not in (None, "", [])

    return predicate


def _date_predicate(expr: Comparison) -> Predicate:
    if expr.value is None:
        raise QueryError("a date is required")
    try:
        parsed = datetime.fromisoformat(expr.value)
    except ValueError as exc:
        raise QueryError("not an ISO 8601 date") from exc
    wanted = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    attribute, operator = expr.attribute, expr.operator
    # Okta keeps milliseconds; compare at that precision so eq can match.
    wanted_ms = round(wanted * 1000)

    def predicate(get: Getter) -> bool:
        actual = get(attribute)
        if actual is None:
            return False
        actual_ms = round(float(actual) * 1000)
        if operator == "eq":
            return actual_ms == wanted_ms
        if operator == "gt":
            return actual_ms > wanted_ms
        if operator == "ge":
            return actual_ms >= wanted_ms
        if operator == "lt":
            return actual_ms < wanted_ms
        return actual_ms <= wanted_ms

    return predicate


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text_predicate(expr: Comparison, case_sensitive: bool) -> Predicate:
    if expr.operator not in ("eq", "sw", "co"):
        raise QueryError("ordering operators work on dates only")
    fold: Callable[[str], str] = (lambda s: s) if case_sensitive else str.casefold
    attribute, operator = expr.attribute, expr.operator
    wanted = None if expr.value is None else fold(expr.value)

    def matches_one(value: Any) -> bool:
        if value is None or wanted is None:
            return value is None and wanted is None and operator == "eq"
        actual = fold(_as_text(value))
        if operator == "eq":
            return actual == wanted
        if operator == "sw":
            return actual.startswith(wanted)
        return wanted in actual

    def predicate(get: Getter) -> bool:
        actual = get(attribute)
        if isinstance(actual, list):
            return any(matches_one(item) for item in actual)
        return matches_one(actual)

    return predicate
