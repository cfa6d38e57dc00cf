"""Assemble the Okta Management API emulator: routes, limits, control plane, errors."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from spokesync.emulators.control import Control, ControlMiddleware, FaultBody, control_routes
from spokesync.emulators.okta import (
    group_routes,
    idp_routes,
    lifecycle_routes,
    log_routes,
    oauth,
    oidc_routes,
    schema_routes,
    user_listing,
    user_routes,
    user_type_routes,
)
from spokesync.emulators.okta.errors import (
    INTERNAL_ERROR_SUMMARY,
    RATE_LIMITED_SUMMARY,
    error_response,
)
from spokesync.emulators.okta.ratelimit import RateLimiter, RateLimitMiddleware
from spokesync.emulators.okta.seed import load_seed
from spokesync.emulators.okta.state import Clock
from spokesync.emulators.okta.system_log import SystemLog


class TrailingSlashMiddleware:
    """Serve ``/api/v1/users/`` as ``/api/v1/users``: Okta answered both (recorded)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = dict(scope)
            scope["path"] = path.rstrip("/") or "/"
            raw: bytes | None = scope.get("raw_path")
            if raw is not None:
                scope["raw_path"] = raw.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)


def _fault_body_for(limiter: RateLimiter) -> FaultBody:
    """Okta-shaped answers for injected faults: E0000047 for 429, E0000009 for 5xx."""

    def fault_body(status: int) -> Response:
        if status == 429:
            response = error_response(429, "E0000047", RATE_LIMITED_SUMMARY)
            # Reset one second ahead, so clients that wait for it do not stall tests.
            response.headers["x-rate-limit-limit"] = str(limiter.windows["other"].limit)
            response.headers["x-rate-limit-remaining"] = "0"
            response.headers["x-rate-limit-reset"] = str(math.ceil(limiter.clock()) + 1)
            return response
        return error_response(status, "E0000009", INTERNAL_ERROR_SUMMARY)

    return fault_body


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return error_response(
            405, "E0000022", "The endpoint does not support the provided HTTP method"
        )
    return error_response(
        404, "E0000007", f"Not found: Resource not found: {request.url.path} (Path)"
    )


async def _server_error(_: Request, __: Exception) -> Response:
    return error_response(500, "E0000009", INTERNAL_ERROR_SUMMARY)


def create_app(
    seed: Mapping[str, Any],
    *,
    control: Control | None = None,
    rate_limit_per_minute: int | None = None,
    concurrency_limit: int = 75,
    clock: Clock = time.time,
    rng: random.Random | None = None,
    log_delay_ms: float = 0.0,
) -> Starlette:
    """The Okta emulator for ``seed`` (the ``"okta"`` object of the seed file).

    ``rate_limit_per_minute`` None means the published Enterprise per-bucket limits;
    an int sets every bucket to it. ``clock`` (epoch seconds) drives timestamps, rate
    windows and token expiry, so tests can move time. A System Log event becomes visible
    ``log_delay_ms`` after its write. Raises ValueError for a bad seed.
    """
    control = control or Control()
    org = load_seed(seed, clock, rng)
    org.system_log = SystemLog(clock, delay_seconds=log_delay_ms / 1000)
    control.tally("emails", org.emails)
    limiter = RateLimiter(clock, rate_limit_per_minute, concurrency_limit)
    api_routes: list[BaseRoute] = [
        *user_routes.ROUTES,
        *user_listing.ROUTES,
        *lifecycle_routes.ROUTES,
        *group_routes.ROUTES,
        *idp_routes.ROUTES,
        *log_routes.ROUTES,
        *user_type_routes.ROUTES,
        *schema_routes.ROUTES,
        *oauth.ROUTES,
        *oidc_routes.ROUTES,
    ]
    app = Starlette(
        routes=[*control_routes(control), *api_routes],
        middleware=[
            Middleware(TrailingSlashMiddleware),
            Middleware(RateLimitMiddleware, limiter=limiter, control=control, routes=api_routes),
            Middleware(
                ControlMiddleware,
                control=control,
                routes=api_routes,
                fault_body=_fault_body_for(limiter),
            ),
        ],
        exception_handlers={
            404: _not_found,
            405: _not_found,
            500: _server_error,
        },
    )
    app.router.redirect_slashes = False
    app.state.org = org
    app.state.limiter = limiter
    app.state.control = control
    return app
