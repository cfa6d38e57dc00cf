"""The service's Starlette app: probes, metrics, the JSON API and the dashboard, behind the guard.

Every response carries a strict Content-Security-Policy (no inline script, nothing from
elsewhere, no framing) and ``nosniff`` (:mod:`spokesync.web.headers`), errors or not; bodies
are bounded while they are read (:mod:`spokesync.web.limits`); the guard (see
:mod:`spokesync.web.auth`) runs before any handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from spokesync.web import api, pages
from spokesync.web.auth import CSRF_COOKIE, OPEN_PATHS, Guard, same_origin
from spokesync.web.context import WebContext, context_of
from spokesync.web.errors import ErrorShield
from spokesync.web.headers import SecurityHeaders
from spokesync.web.limits import BodyLimit


def _refusal(request: Request, guard: Guard) -> Response | None:
    """The answer to a request the guard turns away, or None to let it through."""
    if not guard.host_allowed(request):
        return PlainTextResponse("unexpected Host header: use a loopback address", 400)
    path = request.url.path
    if path not in OPEN_PATHS and not guard.authenticated(request):
        if path.startswith("/api/") or path == "/metrics":
            return JSONResponse(
                {"error": "authentication required: send Authorization: Bearer TOKEN"},
                401,
                headers={"WWW-Authenticate": 'Bearer realm="spokesync"'},
            )
        return RedirectResponse("/signin", 303)
    if request.method not in ("GET", "HEAD") and not same_origin(request):
        return PlainTextResponse("cross-site request refused", 403)
    return None


async def _guarded(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = _refusal(request, context_of(request).guard) or await call_next(request)
    new_csrf = getattr(request.state, "new_csrf", None)
    if new_csrf:
        response.set_cookie(
            CSRF_COOKIE,
            new_csrf,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def build_app(context: WebContext) -> Starlette:
    """The app for one service."""
    app = Starlette(
        routes=[
            Route("/healthz", api.healthz),
            Route("/readyz", api.readyz),
            Route("/metrics", api.metrics),
            Route("/api/status", api.status),
            Route("/api/runs", api.start_run, methods=["POST"]),
            Route("/", pages.dashboard),
            Route("/audit", pages.audit),
            Route("/runs", pages.start_run, methods=["POST"]),
            Route("/signin", pages.signin_form),
            Route("/signin", pages.signin, methods=["POST"]),
            Route("/signout", pages.signout, methods=["POST"]),
            Route("/static/style.css", pages.style_sheet),
            Route("/favicon.ico", pages.no_icon),
        ],
        # Outermost first: every answer gets the headers, even the 500 of an unexpected
        # error; bodies are bounded before the guard or any handler reads them.
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(ErrorShield),
            Middleware(BodyLimit),
            Middleware(BaseHTTPMiddleware, dispatch=_guarded),
        ],
    )
    app.state.context = context
    return app
