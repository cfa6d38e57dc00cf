"""Auth0 error bodies and JSON responses, shaped as the real services answer.

The Management API answers ``{"statusCode", "error", "message"[, "errorCode"]}``; the
Authentication API (``/oauth/token``) answers OAuth-style ``{"error", "error_description"}``.
Every Management API answer carries ``Content-Type: application/json; charset=utf-8``, even a 204.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

MANAGEMENT_CONTENT_TYPE = "application/json; charset=utf-8"
#: the (sanitized) token recording shows plain ``application/json`` for /oauth/token
OAUTH_CONTENT_TYPE = "application/json"


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON, as the real API sends it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(
    body: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    content_type: str = MANAGEMENT_CONTENT_TYPE,
) -> Response:
    """A JSON answer; ``body=None`` sends an empty body (204) with the content type still set."""
    raw = b"" if body is None else encode_json(body)
    all_headers = {"content-type": content_type, **(headers or {})}
    return Response(raw, status_code=status, headers=all_headers)


def reason(status: int) -> str:
    """The HTTP reason phrase Auth0 puts in ``error`` (e.g. ``"Not Found"``)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ApiError(Exception):
    """A Management API error answer; raised by handlers, rendered by the app."""

    def __init__(
        self,
        status: int,
        message: str,
        error_code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """``{"statusCode", "error", "message"}`` plus ``errorCode`` when there is one."""
        body: dict[str, Any] = {
            "statusCode": self.status,
            "error": reason(self.status),
            "message": self.message,
        }
        if self.error_code is not None:
            body["errorCode"] = self.error_code
        return body

    def response(self) -> Response:
        return json_response(self.body(), self.status, self.headers)


class OAuthError(Exception):
    """An Authentication API error answer (``/oauth/token``)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}")
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return json_response(body, self.status, content_type=OAUTH_CONTENT_TYPE)


def invalid_body(message: str = "Invalid request payload JSON format") -> ApiError:
    """400 ``invalid_body``: malformed JSON or a payload that breaks the request schema."""
    return ApiError(400, message, "invalid_body")


def user_not_found() -> ApiError:
    """404 as recorded (users-delete-404.json #2)."""
    return ApiError(404, "The user does not exist.", "inexistent_user")


def role_not_found() -> ApiError:
    """404 as recorded (roles-delete-404.json #2): no ``errorCode``."""
    return ApiError(404, "The role does not exist.")


def query_validation(name: str, description: str, problem: str) -> ApiError:
    """400 for a bad query parameter, worded like the real validator."""
    return ApiError(
        400,
        f"Query validation error: '{problem}' on property {name} ({description}).",
        "invalid_query_string",
    )
