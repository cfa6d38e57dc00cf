"""The exception tree every API client raises, and the parser that maps an answer onto it.

::

    ApiError                      service, method, url (no query), status, code, message
    ├── TransportError            connect error, timeout, reset, incomplete body   (transient)
    ├── MalformedResponse         not JSON, wrong shape, missing field             (permanent)
    ├── AuthError                 401, or 400/401/403 from a token endpoint: bad credentials
    ├── ScopeError                403: the credentials lack a scope or permission
    ├── NotFound                  404
    ├── BadRequest                400 / 409 / 422 and other refused requests; ``causes``
    │   ├── LoginTaken            Okta 400 E0000001: another user has that ``login``
    │   ├── UnknownAttribute      Okta 400 E0000001: a property the profile schema lacks
    │   └── StateConflict         Okta lifecycle call illegal in the user's current status
    ├── AmbiguousName             a name matched several roles or groups
    ├── CursorLost                a log cursor the API no longer serves (retention, refused)
    ├── RateLimited               429; ``reset_at`` epoch seconds when the window resets (transient)
    └── ServerError               5xx                                              (transient)

Every exception keeps what caused it in ``__cause__``. Messages and reprs never carry an
``Authorization`` header, a token, a secret or the query string of the URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx

#: At most this many characters of a body that is not JSON go into a message.
BODY_EXCERPT = 200

#: Okta error codes for a lifecycle call that the user's current status does not allow.
_OKTA_STATE_CODES = frozenset({"E0000016", "E0000032", "E0000038", "E0000112", "E0000117"})
#: Okta's cause for a profile property the user type's schema does not define (recorded)
_UNDEFINED_PROPERTY = re.compile(r"Property name '(?P<name>[^']*)' is not defined in profile")
#: Okta's cause for a login another user has (reference okta-api.md §1, the docs' example)
_LOGIN_EXISTS = re.compile(r"\s*login\s*:.*already exists", re.IGNORECASE)
#: OAuth ``error`` values that mean the client's own credentials were refused.
_OAUTH_BAD_CREDENTIALS = frozenset(
    {"invalid_client", "unauthorized_client", "invalid_grant", "access_denied"}
)


class ApiError(Exception):
    """An API call failed; the subclass says how, the attributes say where."""

    def __init__(
        self,
        message: str,
        *,
        service: str,
        method: str = "",
        url: str = "",
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.method = method
        self.url = url
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        where = f"{self.method} {self.url}".strip()
        status = f" -> {self.status}" if self.status is not None else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{self.service}: {where}{status}{code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class TransportError(ApiError):
    """The exchange did not complete: connect error, timeout, reset, incomplete body."""


class MalformedResponse(ApiError):
    """The answer was not JSON, or not of the documented shape."""


class AuthError(ApiError):
    """The credentials were refused (401, or a token endpoint said no)."""


class ScopeError(ApiError):
    """The credentials are valid but lack a scope or an admin permission (403)."""


class NotFound(ApiError):
    """The resource does not exist (404), or a name matched nothing."""


class BadRequest(ApiError):
    """The service refused the request as it is (400, 409, 422, other 4xx).

    ``causes`` holds Okta's ``errorCauses[].errorSummary`` texts (empty elsewhere).
    """

    def __init__(self, message: str, *, causes: list[str] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.causes: list[str] = list(causes or [])


class LoginTaken(BadRequest):
    """Okta refused a create because another user already has that login (E0000001, cause
    "login: An object with this field already exists in the current organization")."""


class UnknownAttribute(BadRequest):
    """Okta refused a profile holding properties its schema does not define (E0000001, one
    cause "Property name 'X' is not defined in profile" each: recorded by terraform-provider-okta,
    okta/terraform/users-invalid-custom-profile-attribute-400.json). ``attributes`` names them."""

    def __init__(self, message: str, *, attributes: list[str], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.attributes = list(attributes)


class StateConflict(BadRequest):
    """Okta refused a lifecycle or update call in the user's current status (E0000038, ...)."""


class AmbiguousName(ApiError):
    """A role or group name matched more than one object; use its id instead."""


class CursorLost(ApiError):
    """A log position the API no longer serves (past retention) or refuses: events since it
    may be lost, so the reader must start again from now and reconcile everything once."""

    @classmethod
    def instead_of(cls, error: ApiError, message: str) -> CursorLost:
        """The refusal ``error`` of a stored position, said as ``message``."""
        return cls(
            f"{message}: {error.message}",
            service=error.service,
            method=error.method,
            url=error.url,
            status=error.status,
            code=error.code,
        )


class RateLimited(ApiError):
    """429. ``reset_at`` is the epoch second at which the window resets, when known."""

    def __init__(self, message: str, *, reset_at: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reset_at = reset_at


class ServerError(ApiError):
    """The service failed (5xx)."""


def is_transient(exc: BaseException) -> bool:
    """True for failures that the same request may not meet again: worth a retry."""
    return isinstance(exc, TransportError | RateLimited | ServerError)


def public_url(url: httpx.URL | str) -> str:
    """The URL without its query string or credentials, for messages."""
    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(query=None, fragment=None, userinfo=b""))


def reset_from_headers(headers: Mapping[str, str], now: float) -> float | None:
    """The epoch second a rate-limit window resets, from Okta, Auth0 or ``Retry-After`` headers."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("x-rate-limit-reset", "x-ratelimit-reset"):
        raw = lowered.get(name)
        if raw is not None:
            try:
                return float(raw)
            except ValueError:
                break
    retry_after = lowered.get("retry-after")
    if retry_after is not None:
        try:
            return now + float(retry_after)
        except ValueError:
            return None
    return None


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= BODY_EXCERPT else flat[:BODY_EXCERPT] + "…"


def _parse_body(response: httpx.Response) -> tuple[str | None, str, list[str]]:
    """``(code, message, causes)`` from any of the four error-body shapes, or a note on the body."""
    try:
        body = json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        text = response.content.decode("utf-8", errors="replace")
        return None, f"the error body was not JSON: {_excerpt(text)!r}", []
    if body is None:
        return None, f"HTTP {response.status_code} with an empty body", []
    if not isinstance(body, dict):
        return None, f"the error body was JSON but not an object: {_excerpt(str(body))!r}", []
    if "errorCode" in body and "errorSummary" in body:  # Okta Management API
        causes = [
            str(c.get("errorSummary", ""))
            for c in body.get("errorCauses") or []
            if isinstance(c, dict)
        ]
        return str(body["errorCode"]), str(body["errorSummary"]), causes
    if "statusCode" in body or "message" in body:  # Auth0 Management API
        code = body.get("errorCode")
        message = str(body.get("message") or body.get("error") or "")
        return (str(code) if code else None), message, []
    if "error" in body:  # OAuth 2.0 (Auth0 /oauth/token, Okta /oauth2/v1/token)
        description = body.get("error_description")
        return str(body["error"]), str(description or body["error"]), []
    return None, f"unrecognised error body: {_excerpt(json.dumps(body))!r}", []


def error_from_response(
    service: str, response: httpx.Response, *, token_endpoint: bool = False, now: float = 0.0
) -> ApiError:
    """The :class:`ApiError` subclass that describes a 4xx/5xx ``response`` (read already)."""
    status = response.status_code
    code, message, causes = _parse_body(response)
    where: dict[str, Any] = {
        "service": service,
        "method": response.request.method,
        "url": public_url(response.request.url),
        "status": status,
        "code": code,
    }
    if status == 429:
        return RateLimited(message, reset_at=reset_from_headers(response.headers, now), **where)
    if status >= 500:
        return ServerError(message, **where)
    if token_endpoint:
        if status in (401, 403) or code in _OAUTH_BAD_CREDENTIALS:
            return AuthError(message, **where)
        if code == "invalid_scope":
            return ScopeError(message, **where)
        return BadRequest(message, causes=causes, **where)
    if status == 401:
        return AuthError(message, **where)
    if status == 403:
        if code in _OKTA_STATE_CODES:
            return StateConflict(message, causes=causes, **where)
        return ScopeError(message, **where)
    if status == 404:
        return NotFound(message, **where)
    if code in _OKTA_STATE_CODES:
        return StateConflict(message, causes=causes, **where)
    if code == "E0000001":
        # Only the cause says which: an undefined property is never a taken login, even one
        # whose name holds "login" (a custom ``loginAlias``).
        undefined = [m["name"] for c in causes if (m := _UNDEFINED_PROPERTY.search(c))]
        if undefined:
            return UnknownAttribute(message, attributes=undefined, causes=causes, **where)
        if any(_LOGIN_EXISTS.match(c) for c in causes):
            return LoginTaken(message, causes=causes, **where)
    return BadRequest(message, causes=causes, **where)
