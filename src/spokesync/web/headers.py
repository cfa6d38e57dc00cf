"""The security headers every answer carries, whoever produced it (a page, the guard, a 404,
a 413, the 500 of an unexpected error), and HSTS on answers served over HTTPS.

The scheme is the connection's, or (behind a proxy listed in ``[serve] forwarded_allow_ips``)
the one the proxy's ``X-Forwarded-Proto`` names: uvicorn's proxy-headers handling sets it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": browsers then send "Origin: null" on the dashboard's own form posts.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
#: One year, this host only: the dashboard says nothing about its parent domain's other hosts.
HSTS = "max-age=31536000"


class SecurityHeaders:
    """ASGI middleware: add :data:`SECURITY_HEADERS` (and HSTS over HTTPS) to every answer that
    does not set its own value."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if https and "strict-transport-security" not in headers:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
