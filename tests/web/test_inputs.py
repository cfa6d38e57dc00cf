"""Request parsing that cannot raise anything but BadInput, whatever a client sends."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spokesync.web.inputs import (
    MAX_JSON_DEPTH,
    BadInput,
    form_fields,
    json_depth,
    json_value,
    query_int,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('ab"\\[]{}é ')),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=20,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(st.text(max_size=40))
def test_query_int_takes_only_bounded_ascii_digits(text: str) -> None:
    try:
        value = query_int(text, "before", maximum=10**6)
    except BadInput as exc:
        assert "before must be a whole number from 0 to 1000000" in str(exc)
        assert not (text.isascii() and text.isdigit() and int(text) <= 10**6)
    else:
        assert value is None if text == "" else value == int(text) and text.isascii()


@pytest.mark.parametrize("text", ["²", "-1", "+1", " 1", "1_000", "١", "9" * 10_000, "0x1"])
def test_query_int_refuses_what_int_would_take_or_choke_on(text: str) -> None:
    with pytest.raises(BadInput):
        query_int(text, "before")


@given(JSON)
def test_json_depth_is_the_nesting_of_the_document(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert json_depth(text) == _depth(value)
    if _depth(value) <= MAX_JSON_DEPTH:
        assert json_value(text.encode()) == value


@given(st.binary(max_size=200))
def test_any_bytes_are_a_value_or_bad_input(body: bytes) -> None:
    with contextlib.suppress(BadInput):  # anything else (RecursionError, TypeError...) fails
        json_value(body)


def test_deep_nesting_is_refused_before_parsing() -> None:
    for deep in (b"[" * 100_000, b'{"a":' * 50_000, b"[" * 33 + b"]" * 33):
        with pytest.raises(BadInput, match="deeper than 32"):
            json_value(deep)
    in_a_string = json.dumps(["[" * 40 + '\\"{'])
    assert json_value(in_a_string.encode()) == ["[" * 40 + '\\"{']  # brackets in text: depth 1


@given(st.binary(max_size=300))
def test_any_form_body_is_fields_or_bad_input(body: bytes) -> None:
    try:
        fields = form_fields(body)
    except BadInput:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
