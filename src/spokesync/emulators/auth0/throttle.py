"""ASGI middleware applying the rate limits and adding ``x-ratelimit-*`` to every answer.

The Management API (``/api/v2``) shares one bucket; ``/oauth/token`` belongs to the
Authentication API and has its own, larger bucket (reference §8). Some Management API endpoints
also spend a bucket of their own (:mod:`endpoint_limits`); their answers carry its headers.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spokesync.emulators.auth0.endpoint_limits import EndpointBuckets
from spokesync.emulators.auth0.errors import ApiError, OAuthError
from spokesync.emulators.auth0.ratelimit import Decision, TokenBucket

GLOBAL_LIMIT_MESSAGE = "Global limit has been reached"
#: the OAS text of a 429 (no recorded answer shows an endpoint limit's own message)
ENDPOINT_LIMIT_MESSAGE = (
    "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and "
    "X-RateLimit-Reset headers."
)


def management_429(decision: Decision) -> Response:
    """The Management API's 429 (reference §8) with its rate-limit headers."""
    error = ApiError(429, GLOBAL_LIMIT_MESSAGE, "too_many_requests", decision.headers())
    return error.response()


def _endpoint_429(decision: Decision) -> Response:
    error = ApiError(429, ENDPOINT_LIMIT_MESSAGE, "too_many_requests", decision.headers())
    return error.response()


def _authentication_429(decision: Decision) -> Response:
    response = OAuthError(
        429, "too_many_requests", "Rate limit exceeded. Please retry after some time."
    ).response()
    response.headers.update(decision.headers())
    return response


class ThrottleMiddleware:
    """Spend a token per request; answer 429 when the bucket is empty."""

    def __init__(
        self,
        app: ASGIApp,
        management: TokenBucket,
        authentication: TokenBucket,
        endpoints: EndpointBuckets | None = None,
    ) -> None:
        self.app = app
        self.management = management
        self.authentication = authentication
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/api/v2" or path.startswith("/api/v2/"):
            bucket, refuse = self.management, management_429
        elif path == "/oauth/token":
            bucket, refuse = self.authentication, _authentication_429
        else:
            await self.app(scope, receive, send)
            return
        decision = bucket.take()
        if not decision.allowed:
            await refuse(decision)(scope, receive, send)
            return
        own = None
        if self.endpoints is not None and bucket is self.management:
            own = self.endpoints.bucket_for(scope.get("method", ""), path)
        if own is not None:
            decision = own.take()
            if not decision.allowed:
                await _endpoint_429(decision)(scope, receive, send)
                return
        extra = decision.headers()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
