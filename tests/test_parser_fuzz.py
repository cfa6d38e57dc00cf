"""Fuzzing the response parsers with hypothesis: arbitrary JSON either parses into a valid
object or is refused with the parser's own error, never anything else (issue 5)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from spokesync.auth0 import models as auth0_models
from spokesync.domain import SourceUser, TargetUser
from spokesync.http.errors import ApiError, error_from_response
from spokesync.okta import models as okta_models

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
# Objects that look like answers, with fields of any type, so parsing gets past the first check.
user_like = st.fixed_dictionaries(
    {},
    optional={
        "user_id": json_values,
        "email": json_values,
        "email_verified": json_values,
        "name": json_values,
        "given_name": json_values,
        "user_metadata": json_values,
        "app_metadata": json_values,
        "blocked": json_values,
        "id": json_values,
        "status": json_values,
        "profile": json_values,
        "type": json_values,
    },
)
answers = json_values | user_like


@settings(max_examples=400, deadline=None)
@given(answers)
def test_auth0_user_parser_accepts_or_refuses_cleanly(value: Any) -> None:
    try:
        user = auth0_models.parse_source_user("apac", value)
    except auth0_models.ShapeError:
        return
    assert isinstance(user, SourceUser) and user.user_id and isinstance(user.user_id, str)
    assert user.email is None or isinstance(user.email, str)


@settings(max_examples=300, deadline=None)
@given(answers)
def test_auth0_role_parsers_accept_or_refuse_cleanly(value: Any) -> None:
    for parse in (auth0_models.parse_role, auth0_models.parse_role_member):
        with contextlib.suppress(auth0_models.ShapeError):
            parse(value)


@settings(max_examples=400, deadline=None)
@given(answers)
def test_okta_parsers_accept_or_refuse_cleanly(value: Any) -> None:
    try:
        user = okta_models.parse_target_user(value)
    except okta_models.ShapeError:
        user = None
    if user is not None:
        assert isinstance(user, TargetUser) and isinstance(user.id, str) and user.id
    for parse in (okta_models.parse_group, okta_models.parse_idp_link):
        with contextlib.suppress(okta_models.ShapeError):
            parse(value)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(400, 599),
    json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200),
    st.sampled_from(["auth0", "okta"]),
)
def test_error_bodies_of_any_shape_become_api_errors(
    status: int, body: bytes, service: str
) -> None:
    request = httpx.Request("GET", "https://tenant.example/api/v2/users/x")
    response = httpx.Response(status, content=body, request=request)
    error = error_from_response(service, response)
    assert isinstance(error, ApiError)
    assert error.status == status and str(error)
