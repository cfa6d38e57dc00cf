"""The filter/search expression subset, on its own."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spokesync.emulators.okta.query import (
    Comparison,
    Junction,
    Kind,
    QueryError,
    compile_predicate,
    parse,
)


def anything(attribute: str) -> tuple[Kind, frozenset[str]] | None:
    kind: Kind = "date" if attribute == "lastUpdated" else "text"
    return kind, frozenset({"eq", "sw", "co", "gt", "ge", "lt", "le"})


def record(**values: Any) -> Any:
    return values.get


def test_and_binds_tighter_than_or() -> None:
    expr = parse('a eq "1" or b eq "2" and c eq "3"')
    assert isinstance(expr, Junction) and expr.operator == "or"
    assert expr.parts[0] == Comparison("a", "eq", "1")
    assert isinstance(expr.parts[1], Junction) and expr.parts[1].operator == "and"


def test_parentheses_and_escaped_quotes() -> None:
    expr = parse('(a eq "say \\"hi\\"" OR b sw "x") and c eq true')
    assert isinstance(expr, Junction) and expr.operator == "and"
    assert expr.parts[1] == Comparison("c", "eq", "true")
    inner = expr.parts[0]
    assert isinstance(inner, Junction)
    assert inner.parts[0] == Comparison("a", "eq", 'say "hi"')


@pytest.mark.parametrize(
    "text", ["", "a eq", 'a xx "1"', '(a eq "1"', 'a eq "1")', 'a eq "1" b eq "2"', 'a eq "open']
)
def test_malformed_expressions(text: str) -> None:
    with pytest.raises(QueryError):
        parse(text)


def test_case_sensitivity_is_the_callers_choice() -> None:
    exact = compile_predicate('name eq "Ann"', anything, case_sensitive=True)
    folded = compile_predicate('name eq "Ann"', anything, case_sensitive=False)
    assert not exact(record(name="ann")) and exact(record(name="Ann"))
    assert folded(record(name="ANN"))


def test_dates_compare_at_millisecond_precision() -> None:
    predicate = compile_predicate(
        'lastUpdated ge "2025-01-01T00:00:00.000Z"', anything, case_sensitive=True
    )
    assert predicate(record(lastUpdated=1_735_689_600.0))
    assert not predicate(record(lastUpdated=1_735_689_599.9))


def test_rules_refuse_unknown_attributes() -> None:
    with pytest.raises(QueryError):
        compile_predicate('x eq "1"', lambda _: None, case_sensitive=True)


def test_multi_valued_attributes_match_any_item() -> None:
    predicate = compile_predicate('tags eq "b"', anything, case_sensitive=True)
    assert predicate(record(tags=["a", "b"]))


_word = st.text(alphabet="abcdefghij", min_size=1, max_size=5)


@given(st.text(max_size=60))
def test_parse_either_succeeds_or_raises_query_error(text: str) -> None:
    with contextlib.suppress(QueryError):
        parse(text)


@given(attribute=_word, value=st.text(max_size=20), operator=st.sampled_from(["eq", "sw", "co"]))
def test_quoted_values_round_trip(attribute: str, value: str, operator: str) -> None:
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    predicate = compile_predicate(
        f'{attribute} {operator} "{quoted}"', anything, case_sensitive=True
    )
    assert predicate(record(**{attribute: value}))


def test_pr_takes_no_value_and_holds_when_the_attribute_has_one() -> None:
    """okta/terraform/users-list-search.json #10: ``profile.email pr and ...`` (200)."""
    expr = parse('profile.email pr and profile.firstName eq "TestAcc"')
    assert isinstance(expr, Junction)
    assert expr.parts[0] == Comparison("profile.email", "pr", None)

    def with_pr(attribute: str) -> tuple[Kind, frozenset[str]] | None:
        return "text", frozenset({"eq", "pr"})

    present = compile_predicate("a pr", with_pr, case_sensitive=False)
    assert present(record(a="x")) and present(record(a=["x"]))
    assert not present(record(a=None)) and not present(record(a="")) and not present(record())
    with pytest.raises(QueryError):
        compile_predicate("a pr", anything, case_sensitive=False)  # not allowed here
    with pytest.raises(QueryError):
        parse('a pr "x"')  # pr takes no value
