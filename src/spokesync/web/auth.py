"""Who may use the service's HTTP side, what each role may do, and cross-site defences.

Three ways in:
- ``[serve.oidc]``: people sign in with the hub (:mod:`spokesync.web.oidc`); their roles come
  from the ID token's ``groups`` through ``[serve.roles]``.
- ``[serve] token``: automation sends ``Authorization: Bearer TOKEN`` (on ``/api/*`` and
  ``/metrics``, and anywhere else); without OIDC, a browser may sign in with it once. The token
  holds every role. Comparisons take constant time; wrong tries at the sign-in form are
  throttled per client.
- neither: the service listens on loopback only (``serve`` refuses otherwise), only loopback
  ``Host`` names are answered (no DNS rebinding), and whoever is on the host holds every role.

A sign-in makes a server-side session (:mod:`spokesync.web.sessions`). Every POST must come
from the dashboard's own origin (``Sec-Fetch-Site``/``Origin``); forms carry a CSRF token equal
to a SameSite=Strict cookie (double submit), and the JSON API accepts only
``application/json``, which no cross-site form can send.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from spokesync.config import is_loopback_host
from spokesync.config.sections import ServeConfig
from spokesync.store.base import Store
from spokesync.web.sessions import (
    ANONYMOUS,
    LOOPBACK,
    SESSION_COOKIE,
    TOKEN,
    Principal,
    Sessions,
    cookie_name,
)
from spokesync.web.throttle import SignInThrottle

CSRF_COOKIE = "spokesync_csrf"
#: Paths anyone may read: the probes, the sign-in steps, the style sheet, the (absent) icon.
OPEN_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/signin",
        "/auth/login",
        "/auth/callback",
        "/auth/logout",
        "/signout",
        "/static/style.css",
        "/favicon.ico",
    }
)
#: What each kind of request needs beyond ``viewer`` (everything else that is not open).
OPERATOR_ROUTES = frozenset({("POST", "/api/runs"), ("POST", "/runs")})


def required_role(method: str, path: str) -> str:
    """The role a request needs: approvals need ``approver``, starting runs ``operator``."""
    if method == "POST" and path.endswith("/approve"):
        return "approver"
    if (method, path) in OPERATOR_ROUTES:
        return "operator"
    return "viewer"


class Throttled(Exception):
    """Too many failed sign-ins from this client: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after} s")
        self.retry_after = retry_after


def _host_name(host_header: str) -> str:
    """The host part of a ``Host`` header (``[::1]:8470`` -> ``::1``)."""
    return urlsplit(f"//{host_header}").hostname or ""


def client_key(request: Request) -> str:
    """The key failed sign-ins are counted under: the peer's address."""
    return request.client.host if request.client is not None else "unknown"


class Guard:
    """The service's access rules: its token, OIDC on or off, sessions and the throttle."""

    def __init__(self, serve: ServeConfig, store: Store) -> None:
        token = serve.token
        self._token = token.get_secret_value().encode() if token is not None else None
        self.oidc_enabled = serve.oidc is not None
        self.sessions = Sessions(
            store,
            idle=timedelta(minutes=serve.session_idle_minutes),
            absolute=timedelta(hours=serve.session_max_hours),
        )
        self.throttle = SignInThrottle()

    def __repr__(self) -> str:
        return f"Guard(token={'***' if self._token else None}, oidc={self.oidc_enabled})"

    @property
    def needs_token(self) -> bool:
        return self._token is not None

    @property
    def needs_sign_in(self) -> bool:
        """Whether requests must say who makes them (a token or OIDC is configured)."""
        return self._token is not None or self.oidc_enabled

    def token_matches(self, offered: str) -> bool:
        """Whether ``offered`` is the token (constant time; any text, never raises)."""
        if self._token is None:
            return False
        return hmac.compare_digest(offered.encode("utf-8", "replace"), self._token)

    def check_token(self, request: Request, offered: str) -> bool:
        """A sign-in attempt with the token, throttled per client (raises Throttled)."""
        client = client_key(request)
        wait = self.throttle.retry_after(client)
        if wait is not None:
            raise Throttled(wait)
        if self.token_matches(offered):
            self.throttle.succeeded(client)
            return True
        self.throttle.failed(client)
        return False

    async def identify(self, request: Request) -> Principal | None:
        """Who makes ``request``: the token's Bearer, a live session, loopback (open service),
        or None."""
        if not self.needs_sign_in:
            return LOOPBACK
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            # Not throttled: a token of 32+ random characters cannot be guessed, and locking
            # out a client address would let anyone behind the same proxy stop automation.
            return TOKEN if self.token_matches(value.strip()) else None
        cookie = request.cookies.get(cookie_name(request, SESSION_COOKIE))
        if not cookie:
            return None
        return await run_in_threadpool(self.sessions.find, cookie)

    def host_allowed(self, request: Request) -> bool:
        """Without any sign-in, only loopback ``Host`` names (no DNS rebinding onto loopback)."""
        if self.needs_sign_in:
            return True
        return is_loopback_host(_host_name(request.headers.get("host", "")))


def principal_of(request: Request) -> Principal:
    """The request's principal as the guard identified it; on the paths anyone may read,
    nobody (no role) unless the service is open."""
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    guard = getattr(getattr(request.app.state, "context", None), "guard", None)
    return LOOPBACK if isinstance(guard, Guard) and not guard.needs_sign_in else ANONYMOUS


def same_origin(request: Request) -> bool:
    """Whether a request comes from the dashboard's own pages or a non-browser client.

    Browsers send ``Sec-Fetch-Site`` (and ``Origin`` on POSTs); tools like curl send neither.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def csrf_token(request: Request) -> str:
    """The request's CSRF token: its cookie's, or a new one the response will set."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return str(token)


def csrf_matches(request: Request, offered: str) -> bool:
    """Whether a form's CSRF field equals the request's CSRF cookie (constant time)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(
        cookie.encode("utf-8", "replace"), offered.encode("utf-8", "replace")
    )
