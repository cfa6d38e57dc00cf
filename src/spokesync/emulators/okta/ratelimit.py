"""Okta's rate limits: per-bucket fixed 60 s windows, and a limit on requests in flight.

Buckets follow the last published table (reference §8, Enterprise column), matched by
exact path first and then by longest prefix. The 2020 recordings place lifecycle calls in
the ``/api/v1/users`` bucket and membership calls in the ``/api/v1/groups`` bucket (their
remaining counts step down together with ``POST /users`` and ``POST /groups``), so they
go there; IdP calls, with no evidence, go to "most other API actions". ``/api/v1/logs`` has
its own bucket of 120 a minute (the "Get System Log data" row of the old published table,
as third-party copies of it give it; the shared reference does not quote that row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spokesync.emulators.control import Control, route_template
from spokesync.emulators.okta.errors import RATE_LIMITED_SUMMARY, error_response
from spokesync.emulators.okta.state import Clock

WINDOW_SECONDS = 60

#: per-minute limits of the Enterprise column of the last published table
ENTERPRISE_LIMITS: Mapping[str, int] = {
    "users": 600,  # create or list users (and, as recorded, /users/{id}/lifecycle/*)
    "user_read": 1000,  # GET /api/v1/users/{idOrLogin}
    "user_write": 600,  # POST, PUT, DELETE /api/v1/users/{id}
    "groups": 600,  # /api/v1/groups except /api/v1/groups/{id}
    "group": 600,  # /api/v1/groups/{id}
    "other": 600,  # most other API actions
    "logs": 120,  # GET /api/v1/logs
    "oauth_token": 600,  # /oauth2/v1/token: not in the table; given its own bucket
}


def bucket_of(method: str, path: str) -> str:
    """The name of the bucket a request draws from."""
    parts = path.rstrip("/").split("/")
    if path.startswith("/oauth2/"):
        return "oauth_token"
    if len(parts) < 4 or parts[1:3] != ["api", "v1"]:
        return "other"
    if parts[3] == "users":
        if len(parts) == 5:
            return "user_read" if method == "GET" else "user_write"
        return "users"
    if parts[3] == "logs":
        return "logs"
    if parts[3] == "groups":
        return "group" if len(parts) == 5 and parts[4] != "rules" else "groups"
    return "other"


@dataclass
class _Window:
    limit: int
    started: float | None = None
    used: int = 0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-rate-limit-limit", str(self.limit).encode()),
            (b"x-rate-limit-remaining", str(self.remaining).encode()),
            (b"x-rate-limit-reset", str(self.reset).encode()),
        ]


class RateLimiter:
    """Fixed windows per bucket (a window starts at its first request) and an in-flight cap."""

    def __init__(
        self, clock: Clock, per_minute: int | None = None, concurrency_limit: int = 75
    ) -> None:
        self.clock = clock
        self.concurrency_limit = concurrency_limit
        self.in_flight = 0
        self.windows = {
            name: _Window(per_minute if per_minute is not None else limit)
            for name, limit in ENTERPRISE_LIMITS.items()
        }

    def take(self, bucket: str) -> Verdict:
        """Spend one request from ``bucket``, or say when it refills."""
        now = self.clock()
        window = self.windows[bucket]
        if window.started is None or now >= window.started + WINDOW_SECONDS:
            window.started, window.used = now, 0
        reset = math.ceil(window.started + WINDOW_SECONDS)
        if window.used >= window.limit:
            return Verdict(False, window.limit, 0, reset)
        window.used += 1
        return Verdict(True, window.limit, window.limit - window.used, reset)

    def too_busy(self) -> Verdict:
        """The concurrency 429: limit and remaining 0, reset a guess (one second ahead)."""
        return Verdict(False, 0, 0, math.ceil(self.clock()) + 1)


class RateLimitMiddleware:
    """Pure ASGI: refuse over-limit requests with 429 E0000047, add the headers to all others.

    It sits outside the control middleware so that injected latency counts as time in
    flight; its own refusals are still counted in the control plane's stats.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        control: Control,
        routes: list[BaseRoute],
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.control = control
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.app(scope, receive, send)
            return
        limiter = self.limiter
        if limiter.in_flight >= limiter.concurrency_limit:
            await self._refuse(limiter.too_busy(), scope, receive, send)
            return
        limiter.in_flight += 1
        try:
            verdict = limiter.take(bucket_of(scope["method"], scope["path"]))
            if not verdict.allowed:
                await self._refuse(verdict, scope, receive, send)
                return
            extra = verdict.headers()

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    # an injected fault may carry its own rate-limit headers
                    if not any(name == b"x-rate-limit-limit" for name, _ in headers):
                        headers.extend(extra)
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_with_headers)
        finally:
            limiter.in_flight -= 1

    async def _refuse(self, verdict: Verdict, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(429, "E0000047", RATE_LIMITED_SUMMARY)
        for name, value in verdict.headers():
            response.headers.append(name.decode(), value.decode())
        self.control.count(route_template(self.routes, scope), 429)
        await response(scope, receive, send)
