"""The error tree: each status and each body shape lands on the right exception."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from spokesync.http.errors import (
    ApiError,
    AuthError,
    BadRequest,
    LoginTaken,
    MalformedResponse,
    NotFound,
    RateLimited,
    ScopeError,
    ServerError,
    StateConflict,
    TransportError,
    UnknownAttribute,
    error_from_response,
    is_transient,
    public_url,
    reset_from_headers,
)
from tests.reference import interaction


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = httpx.Request("GET", "https://tenant.example/api/v2/users?q=secret-ish&x=1")
    return httpx.Response(status, content=content, headers=headers, request=request)


def recorded(service: str, name: str, index: int) -> httpx.Response:
    exchange = interaction(service, name, index)
    req, resp = exchange["request"], exchange["response"]
    request = httpx.Request(req["method"], f"https://org.example{req['path']}")
    body = resp["body"]
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return httpx.Response(resp["status"], content=content, headers=resp["headers"], request=request)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequest),
        (401, AuthError),
        (403, ScopeError),
        (404, NotFound),
        (405, BadRequest),
        (409, BadRequest),
        (422, BadRequest),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_class(status: int, kind: type[ApiError]) -> None:
    body = {"statusCode": status, "error": "E", "message": "went wrong"}
    error = error_from_response("auth0", answer(status, body))
    assert type(error) is kind
    assert error.status == status
    assert error.message == "went wrong"
    assert error.method == "GET"


def test_auth0_management_body_keeps_error_code() -> None:
    # Recorded: auth0/users-delete-404.json #2 has errorCode inexistent_user.
    error = error_from_response("auth0", recorded("auth0", "users-delete-404", 2))
    assert isinstance(error, NotFound)
    assert error.code == "inexistent_user"
    assert error.message == "The user does not exist."


def test_auth0_role_404_without_error_code() -> None:
    # Recorded: auth0/roles-delete-404.json #2, the role 404 has no errorCode.
    error = error_from_response("auth0", recorded("auth0", "roles-delete-404", 2))
    assert isinstance(error, NotFound)
    assert error.code is None
    assert "role does not exist" in error.message


def test_auth0_400_recorded() -> None:
    # Recorded: auth0/connections-create-400.json #0 (errorCode invalid_body).
    error = error_from_response("auth0", recorded("auth0", "connections-create-400", 0))
    assert isinstance(error, BadRequest)
    assert error.code == "invalid_body"


def test_okta_404_recorded() -> None:
    # Recorded: okta/users-create-get.json #5 (E0000007, five-key body, empty causes).
    error = error_from_response("okta", recorded("okta", "users-create-get", 5))
    assert isinstance(error, NotFound)
    assert error.code == "E0000007"
    assert "Not found" in error.message


def test_okta_429_recorded_reset_is_epoch_seconds() -> None:
    # Recorded: okta/rate-limit-429.json #1: E0000047, x-rate-limit-reset epoch seconds.
    response = recorded("okta", "rate-limit-429", 1)
    error = error_from_response("okta", response)
    assert isinstance(error, RateLimited)
    assert error.code == "E0000047"
    assert error.reset_at == float(response.headers["x-rate-limit-reset"])


def test_okta_duplicate_login_is_login_taken() -> None:
    # Reference okta-api.md §1 (no recording of a duplicate login exists): E0000001 with a
    # login cause. The reference notes' picture of E0000001 with empty causes is wrong: the
    # recording below (okta/terraform) has a cause, and only the cause says which error it is.
    body = {
        "errorCode": "E0000001",
        "errorSummary": "Api validation failed: login",
        "errorLink": "E0000001",
        "errorId": "oae1",
        "errorCauses": [
            {
                "errorSummary": "login: An object with this field already exists"
                " in the current organization"
            }
        ],
    }
    error = error_from_response("okta", answer(400, body))
    assert isinstance(error, LoginTaken)
    assert isinstance(error, BadRequest)
    assert error.causes[0].startswith("login:")


def test_okta_other_validation_error_is_plain_bad_request() -> None:
    body = {
        "errorCode": "E0000001",
        "errorSummary": "Api validation failed: email",
        "errorCauses": [{"errorSummary": "email: Does not match required pattern"}],
    }
    error = error_from_response("okta", answer(400, body))
    assert type(error) is BadRequest
    assert error.causes == ["email: Does not match required pattern"]


def test_okta_validation_error_keeps_its_recorded_causes() -> None:
    # Recorded (okta/terraform/users-invalid-custom-profile-attribute-400.json #0): E0000001
    # comes with causes, against reference okta-api.md's "errorCauses is always empty"; an
    # undefined property is an UnknownAttribute that names it, never a taken login.
    error = error_from_response(
        "okta", recorded("okta", "terraform/users-invalid-custom-profile-attribute-400", 0)
    )
    assert type(error) is UnknownAttribute and error.attributes == ["notValid"]
    assert error.causes == ["Property name 'notValid' is not defined in profile"]


def test_okta_state_error_is_state_conflict_not_scope() -> None:
    # Recorded: okta/users-reactivate-403.json #1 is 403 E0000038.
    error = error_from_response("okta", recorded("okta", "users-reactivate-403", 1))
    assert isinstance(error, StateConflict)


def test_okta_permission_403_is_scope_error() -> None:
    body = {"errorCode": "E0000006", "errorSummary": "You do not have permission"}
    assert isinstance(error_from_response("okta", answer(403, body)), ScopeError)


def test_auth0_insufficient_scope() -> None:
    body = {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: read:users",
        "errorCode": "insufficient_scope",
    }
    error = error_from_response("auth0", answer(403, body))
    assert isinstance(error, ScopeError)
    assert error.code == "insufficient_scope"


@pytest.mark.parametrize("status", [400, 401, 403])
def test_token_endpoint_refusal_is_auth_error(status: int) -> None:
    body = {"error": "access_denied", "error_description": "Unauthorized"}
    error = error_from_response("auth0", answer(status, body), token_endpoint=True)
    assert isinstance(error, AuthError)
    assert error.code == "access_denied"
    assert error.message == "Unauthorized"


def test_token_endpoint_invalid_scope() -> None:
    body = {"error": "invalid_scope", "error_description": "nope"}
    error = error_from_response("okta", answer(400, body), token_endpoint=True)
    assert isinstance(error, ScopeError)


def test_non_json_body_keeps_class_and_is_truncated() -> None:
    html = b"<html>" + b"x" * 1000 + b"</html>"
    error = error_from_response("okta", answer(502, html))
    assert isinstance(error, ServerError)
    assert "not JSON" in error.message
    assert len(error.message) < 260


def test_truncated_json_body() -> None:
    error = error_from_response("auth0", answer(404, b'{"statusCode": 404, "mess'))
    assert isinstance(error, NotFound)
    assert "not JSON" in error.message


def test_empty_body() -> None:
    error = error_from_response("okta", answer(500, b""))
    assert isinstance(error, ServerError)
    assert "empty" in error.message


def test_message_has_no_query_string() -> None:
    error = error_from_response("auth0", answer(400, {"message": "m"}))
    assert "secret-ish" not in str(error)
    assert "secret-ish" not in repr(error)
    assert error.url == "https://tenant.example/api/v2/users"


def test_public_url_drops_userinfo_and_query() -> None:
    assert public_url("https://u:p@h.example/a?token=t#f") == "https://h.example/a"


def test_reset_from_headers_variants() -> None:
    assert reset_from_headers({"X-RateLimit-Reset": "100"}, now=0) == 100.0
    assert reset_from_headers({"x-rate-limit-reset": "200"}, now=0) == 200.0
    assert reset_from_headers({"Retry-After": "7"}, now=1000) == 1007.0
    assert reset_from_headers({}, now=0) is None


def test_is_transient() -> None:
    kw: dict[str, Any] = {"service": "okta"}
    assert is_transient(TransportError("t", **kw))
    assert is_transient(RateLimited("r", **kw))
    assert is_transient(ServerError("s", **kw))
    for permanent in (MalformedResponse, AuthError, ScopeError, NotFound, BadRequest, LoginTaken):
        assert not is_transient(permanent("p", **kw))


def test_an_undefined_property_is_reported_as_such_never_as_a_taken_login() -> None:
    """Recorded: okta/terraform/users-invalid-custom-profile-attribute-400.json #0 (E0000001,
    errorCauses NOT empty). A custom ``loginAlias`` holds "login" in its name and must not
    read as a login clash."""
    recorded = interaction("okta", "terraform/users-invalid-custom-profile-attribute-400", 0)
    body = recorded["response"]["body"]
    for name in ("notValid", "loginAlias"):
        cause = {"errorSummary": f"Property name '{name}' is not defined in profile"}
        response = httpx.Response(
            400,
            json={**body, "errorCauses": [cause]},
            request=httpx.Request("POST", "https://hub.example/api/v1/users"),
        )
        error = error_from_response("okta", response)
        assert isinstance(error, UnknownAttribute) and not isinstance(error, LoginTaken)
        assert error.attributes == [name]
