"""Request plumbing shared by the Management API handlers: context, auth, scopes, parameters.

A handler is ``async (request, ctx) -> Response``; :func:`management` wraps it so that the
bearer token and the scopes are checked first, an :class:`ApiError` becomes its answer and a
successful write is appended to the tenant log.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from spokesync.emulators.auth0 import log_entries
from spokesync.emulators.auth0.clock import Clock
from spokesync.emulators.auth0.errors import (
    ApiError,
    invalid_body,
    json_response,
    query_validation,
)
from spokesync.emulators.auth0.exports import ExportJobs
from spokesync.emulators.auth0.logs import TenantLog
from spokesync.emulators.auth0.ratelimit import TokenBucket
from spokesync.emulators.auth0.state import Tenant
from spokesync.emulators.auth0.tokens import Grant, TokenService


@dataclass
class Context:
    """Everything a handler may touch; one per app, kept on ``app.state.auth0``."""

    tenant: Tenant
    tokens: TokenService
    exports: ExportJobs
    clock: Clock
    management_bucket: TokenBucket
    authentication_bucket: TokenBucket
    logs: TenantLog


Handler = Callable[[Request, Context], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Scopes:
    """A scope requirement: every scope of ``all_of``, or any one of ``any_of``."""

    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()

    def allows(self, granted: frozenset[str]) -> bool:
        if self.all_of and granted.issuperset(self.all_of):
            return True
        return any(scope in granted for scope in self.any_of)

    def refusal(self) -> ApiError:
        """403 ``insufficient_scope`` worded as the real API words it."""
        if self.all_of:
            expected = "expected all of: " + ", ".join(self.all_of)
        else:
            expected = "expected any of: " + ", ".join(self.any_of)
        return ApiError(403, f"Insufficient scope, {expected}", "insufficient_scope")


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.auth0
    return ctx


def base_url(request: Request) -> str:
    """The URL this request came to, without a trailing slash (e.g. http://127.0.0.1:8801)."""
    return str(request.base_url).rstrip("/")


def grant_of(request: Request) -> Grant:
    """The grant of the token this request came with (set by :func:`management`)."""
    grant: Grant = request.state.grant
    return grant


def management(
    scopes: Scopes,
    handler: Handler,
    *,
    operation: str | None = None,
    logged_empty_body: Any = None,
) -> Endpoint:
    """A Starlette endpoint: bearer token, then scopes, then the handler.

    ``operation`` (the OAS summary, e.g. "Create a User") marks a write: when it succeeds it
    is logged as a ``sapi`` entry with that description, followed by the entries the handler
    queued (``ss``, ``sdu``). ``logged_empty_body`` is what the entry shows as the request
    body when there was none: ``null`` for "Delete a User" but ``{}`` for "Delete organization"
    in the recordings (logs.json, logs-checkpoint.json #0).
    """

    async def endpoint(request: Request) -> Response:
        ctx = context_of(request)
        try:
            grant = ctx.tokens.verify(request.headers.get("authorization"))
            if not scopes.allows(grant.scopes):
                raise scopes.refusal()
            request.state.grant = grant
            response = await handler(request, ctx)
        except ApiError as error:
            return error.response()
        if operation is not None and response.status_code < 300:
            entry = log_entries.api_operation(
                request,
                response,
                description=operation,
                client_id=grant.client_id,
                scopes=grant.scopes,
                request_body=await request.body(),
                empty_body=logged_empty_body,
            )
            for body in (entry, *log_entries.follow_ups(request)):
                ctx.logs.append(body)
        return response

    return endpoint


async def read_json(request: Request, *, required: bool = True) -> Any:
    """The decoded JSON body; 400 ``invalid_body`` when it is malformed (or missing)."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise invalid_body(
                "Payload validation error: 'Expected type object but found type null'."
            )
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid_body() from None


def is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"


async def read_payload(request: Request) -> Any:
    """A JSON or ``application/x-www-form-urlencoded`` body as a value (forms as a dict)."""
    if is_form(request):
        raw = await request.body()
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return await read_json(request)


def query_int(
    request: Request,
    name: str,
    *,
    default: int,
    minimum: int,
    maximum: int | None,
    description: str,
) -> int:
    """An integer query parameter checked against the OAS bounds."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise query_validation(
            name, description, "Expected type integer but found type string"
        ) from None
    if maximum is not None and value > maximum:
        raise query_validation(
            name, description, f"Value {value} is greater than maximum {maximum}"
        )
    if value < minimum:
        raise query_validation(name, description, f"Value {value} is less than minimum {minimum}")
    return value


def query_bool(request: Request, name: str, description: str) -> bool:
    """A boolean query parameter (``true``/``false``); absent means false."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise query_validation(name, description, "Expected type boolean but found type string")
    return raw.lower() == "true"


PER_PAGE = "Number of results per page. Defaults to 50."
PAGE = "Page index of the results to return. First page is 0."
INCLUDE_TOTALS = (
    "Return results inside an object that contains the total result count (true) "
    "or as a direct array of results (false, default)."
)


def offset_page(
    chosen: list[Any], key: str, *, page: int, per_page: int, total: int, totals: bool
) -> Response:
    """A page in offset mode: the bare array, or with ``include_totals`` the object
    ``{start, limit, length, <key>, total}`` (users-list.json, the OAS for logs)."""
    if not totals:
        return json_response(chosen)
    return json_response(
        {
            "start": page * per_page,
            "limit": per_page,
            "length": len(chosen),
            key: chosen,
            "total": total,
        }
    )
