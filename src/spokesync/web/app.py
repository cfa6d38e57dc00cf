"""The service's Starlette app: probes, metrics, the JSON API and the dashboard, behind the guard.

Every response carries a strict Content-Security-Policy (no inline script, nothing from
elsewhere, no framing) and ``nosniff`` (:mod:`spokesync.web.headers`), errors or not; bodies
are bounded while they are read (:mod:`spokesync.web.limits`); the guard (see
:mod:`spokesync.web.auth`) runs before any handler: who asks, and whether their role allows it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from spokesync.web import api, approvals, pages, signin
from spokesync.web.auth import CSRF_COOKIE, OPEN_PATHS, required_role, same_origin
from spokesync.web.context import WebContext, context_of
from spokesync.web.errors import ErrorShield
from spokesync.web.headers import SecurityHeaders
from spokesync.web.limits import BodyLimit


async def _refusal(request: Request, context: WebContext) -> Response | None:
    """The answer to a request the guard turns away, or None to let it through."""
    guard = context.guard
    if not guard.host_allowed(request):
        return PlainTextResponse("unexpected Host header: use a loopback address", 400)
    path = request.url.path
    machine = path.startswith("/api/") or path == "/metrics"
    if path not in OPEN_PATHS:
        principal = await guard.identify(request)
        if principal is None:
            if machine:
                return JSONResponse(
                    {"error": "authentication required: send Authorization: Bearer TOKEN"},
                    401,
                    headers={"WWW-Authenticate": 'Bearer realm="spokesync"'},
                )
            return RedirectResponse("/auth/login" if guard.oidc_enabled else "/signin", 303)
        role = required_role(request.method, path)
        if not principal.holds(role):
            if machine:
                return JSONResponse({"error": f"this needs the {role} role"}, 403)
            return pages.forbidden(request, role)
        request.state.principal = principal
    if request.method not in ("GET", "HEAD") and not same_origin(request):
        return PlainTextResponse("cross-site request refused", 403)
    return None


async def _guarded(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await _refusal(request, context_of(request)) or await call_next(request)
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
            Route("/api/runs/{run_id}/approve", approvals.approve_api, methods=["POST"]),
            Route("/", pages.dashboard),
            Route("/audit", pages.audit),
            Route("/runs", pages.start_run, methods=["POST"]),
            Route("/runs/{run_id}/approve", approvals.approve_form, methods=["POST"]),
            Route("/signin", signin.token_form),
            Route("/signin", signin.token_sign_in, methods=["POST"]),
            Route("/signout", signin.sign_out, methods=["POST"]),
            Route("/auth/login", signin.oidc_login),
            Route("/auth/callback", signin.oidc_callback),
            Route("/auth/logout", signin.sign_out, methods=["POST"]),
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
