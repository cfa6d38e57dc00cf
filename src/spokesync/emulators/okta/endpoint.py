"""The plumbing every API endpoint shares: authorization, Okta errors, input parsing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from spokesync.emulators.okta.auth import authorize
from spokesync.emulators.okta.errors import OktaError, malformed_body, validation_failed
from spokesync.emulators.okta.state import Org

Handler = Callable[[Request, Org], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def endpoint(scope: str) -> Callable[[Handler], Endpoint]:
    """Wrap a handler: check the caller holds ``scope``, hand it the org, render OktaError."""

    def wrap(handler: Handler) -> Endpoint:
        async def run(request: Request) -> Response:
            org: Org = request.app.state.org
            try:
                request.state.caller = authorize(request.headers.get("authorization"), org, scope)
                return await handler(request, org)
            except OktaError as error:
                return error.response()

        run.__name__ = handler.__name__
        run.__doc__ = handler.__doc__
        return run

    return wrap


def base_url(request: Request) -> str:
    """The org URL as the caller sees it, for absolute ``_links`` and ``Link`` headers."""
    return str(request.base_url).rstrip("/")


async def json_object(request: Request, allowed: Collection[str]) -> dict[str, Any]:
    """The body as a JSON object; 400 E0000003 if it is not one or has unknown keys."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise malformed_body() from None
    if not isinstance(body, dict) or not set(body) <= set(allowed):
        raise malformed_body()
    return body


def query_bool(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter, accepting ``true``/``True``/``false``/``False`` as recorded."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise validation_failed(name, [f"{name}: The value must be true or false"])


def no_content() -> Response:
    """204 without a Content-Type, as recorded."""
    return Response(status_code=204)
