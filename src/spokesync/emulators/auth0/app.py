"""Assemble the Auth0 emulator: routes, rate limits, control plane and error handlers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from spokesync.emulators.auth0 import (
    jobs_api,
    login_membership,
    logs_api,
    oauth,
    organization_members_api,
    organizations_api,
    roles_api,
    users_api,
)
from spokesync.emulators.auth0.clock import Clock
from spokesync.emulators.auth0.endpoint import Context
from spokesync.emulators.auth0.endpoint_limits import ENTERPRISE, EndpointBuckets
from spokesync.emulators.auth0.errors import ApiError
from spokesync.emulators.auth0.exports import ExportJobs
from spokesync.emulators.auth0.logs import DEFAULT_RETENTION_SECONDS, TenantLog
from spokesync.emulators.auth0.ratelimit import Decision, TokenBucket
from spokesync.emulators.auth0.seed import load_seed
from spokesync.emulators.auth0.state import Tenant
from spokesync.emulators.auth0.throttle import ThrottleMiddleware, management_429
from spokesync.emulators.auth0.tokens import TokenService
from spokesync.emulators.control import Control, ControlMiddleware, FaultBody, control_routes

#: the Authentication API's own limit (Enterprise: 100 requests per second)
AUTHENTICATION_RATE_PER_SECOND = 100.0
AUTHENTICATION_BURST = 100


def _fault_body(bucket: TokenBucket) -> FaultBody:
    """Injected faults answer in the Management API's error shape, with rate-limit headers."""

    def fault_body(status: int) -> Response:
        if status == 429:
            decision = bucket.peek()
            return management_429(Decision(False, decision.limit, 0, decision.reset))
        message = "The service is temporarily unavailable. Please try again later."
        return ApiError(status, message, headers=bucket.peek().headers()).response()

    return fault_body


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = exc.detail if isinstance(exc, HTTPException) else "Internal error"
    return ApiError(status, str(message)).response()


def create_app(
    seed: Mapping[str, Any],
    *,
    control: Control | None = None,
    rate_per_second: float = 16.0,
    burst: int = 50,
    token_lifetime_seconds: int = 86400,
    tenant: str = "emulated",
    log_delay_ms: float = 0.0,
    log_retention_seconds: float = DEFAULT_RETENTION_SECONDS,
    search_index_delay: float = 0.0,
    endpoint_rate_limits: bool = True,
) -> Starlette:
    """An ASGI app emulating one Auth0 tenant's Management API and ``/oauth/token``.

    ``seed`` is the ``"auth0"`` object of the seed file; a bad entry raises ValueError.
    ``app.state.auth0`` holds the context; its ``clock`` can be advanced by tests.
    A tenant-log entry becomes visible ``log_delay_ms`` after its write and is dropped
    ``log_retention_seconds`` after it.
    ``search_index_delay`` seconds pass before a user created or changed through the API shows
    in search (the seed is indexed already): search is eventually consistent (reference §5).
    ``endpoint_rate_limits`` adds the Enterprise per-endpoint limits (organizations, members,
    member roles: :mod:`endpoint_limits`) to the global bucket.
    """
    clock = Clock()
    state = Tenant(tenant, clock)
    clients = load_seed(seed, state)
    state.search_index_delay = search_index_delay
    management_bucket = TokenBucket(rate_per_second, burst, clock)
    context = Context(
        tenant=state,
        tokens=TokenService(clients, clock, token_lifetime_seconds),
        exports=ExportJobs(state),
        clock=clock,
        management_bucket=management_bucket,
        authentication_bucket=TokenBucket(
            AUTHENTICATION_RATE_PER_SECOND, AUTHENTICATION_BURST, clock
        ),
        logs=TenantLog(
            clock, delay_seconds=log_delay_ms / 1000, retention_seconds=log_retention_seconds
        ),
    )
    control = control or Control()
    api_routes: list[BaseRoute] = [
        *oauth.ROUTES,
        *roles_api.ROUTES,
        *users_api.ROUTES,
        *jobs_api.ROUTES,
        *logs_api.ROUTES,
        *organizations_api.ROUTES,
        *organization_members_api.ROUTES,
    ]
    app = Starlette(
        routes=[
            *api_routes,
            *control_routes(control),
            *logs_api.CONTROL_ROUTES,
            *login_membership.CONTROL_ROUTES,
        ],
        middleware=[
            Middleware(ControlMiddleware, control, api_routes, _fault_body(management_bucket)),
            Middleware(
                ThrottleMiddleware,
                management_bucket,
                context.authentication_bucket,
                EndpointBuckets(ENTERPRISE, clock) if endpoint_rate_limits else None,
            ),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
    )
    app.state.auth0 = context
    app.state.control = control
    return app
