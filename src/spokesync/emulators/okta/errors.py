"""Okta's error bodies (``E0000xxx``) and the exception handlers raise to produce them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from starlette.responses import JSONResponse


class OktaError(Exception):
    """An API error answered with Okta's five-key error body."""

    def __init__(self, status: int, code: str, summary: str, causes: Sequence[str] = ()) -> None:
        super().__init__(f"{status} {code}: {summary}")
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = tuple(causes)

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.summary, self.causes)


def error_response(
    status: int, code: str, summary: str, causes: Sequence[str] = ()
) -> JSONResponse:
    """The five-key error body; ``errorLink`` repeats the code, ``errorId`` is opaque."""
    body = {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oae" + secrets.token_urlsafe(16)[:22],
        "errorCauses": [{"errorSummary": cause} for cause in causes],
    }
    return JSONResponse(body, status_code=status)


def validation_failed(field: str, causes: Sequence[str]) -> OktaError:
    """400 E0000001, the catalogue's ``Api validation failed: {0}``."""
    return OktaError(400, "E0000001", f"Api validation failed: {field}", causes)


def malformed_body() -> OktaError:
    """400 E0000003, a body that is not JSON or carries keys the operation does not know."""
    return OktaError(400, "E0000003", "The request body was not well-formed.")


def not_found(key: str, kind: str) -> OktaError:
    """404 E0000007 naming the missing key and Okta's internal type, e.g. ``(User)``."""
    return OktaError(404, "E0000007", f"Not found: Resource not found: {key} ({kind})")


def invalid_token() -> OktaError:
    """401 E0000011: no, unknown or expired credentials."""
    return OktaError(401, "E0000011", "Invalid token provided")


def forbidden() -> OktaError:
    """403 E0000006: a missing OAuth scope, or a change Okta does not allow on this object."""
    return OktaError(403, "E0000006", "You do not have permission to perform the requested action")


def wrong_status() -> OktaError:
    """403 E0000038: a lifecycle or update call the user's current status does not allow."""
    return OktaError(403, "E0000038", "This operation is not allowed in the user's current status.")


def invalid_search() -> OktaError:
    """400 E0000031 for a ``filter``/``search`` expression the emulator cannot accept."""
    return OktaError(400, "E0000031", "Invalid search criteria.")


RATE_LIMITED_SUMMARY = "API call exceeded rate limit due to too many requests."
INTERNAL_ERROR_SUMMARY = "Internal Server Error"
