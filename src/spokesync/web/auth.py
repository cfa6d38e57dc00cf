"""Who may use the service's HTTP side, and protection against cross-site requests.

With ``[serve] token``, every endpoint but the probes needs ``Authorization: Bearer TOKEN`` or
the session cookie the sign-in form sets: an HMAC of the token, never the token itself, so a
leaked cookie does not reveal it and a new token ends every session. Comparisons take constant
time. Without a token the service listens on loopback only (``serve`` refuses otherwise), and
then only loopback ``Host`` names are answered, so a web page cannot reach it by DNS rebinding.

Every POST must come from the dashboard's own origin (``Sec-Fetch-Site``/``Origin``); forms
carry a CSRF token equal to a SameSite=Strict cookie (double submit), and the JSON API
accepts only ``application/json``, which no cross-site form can send.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from pydantic import SecretStr
from starlette.requests import Request

from spokesync.config import is_loopback_host

SESSION_COOKIE = "spokesync_session"
CSRF_COOKIE = "spokesync_csrf"
#: Paths anyone may read: the probes, the sign-in form, the style sheet, the (absent) icon.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/signin", "/static/style.css", "/favicon.ico"})
_SESSION_CONTEXT = b"spokesync dashboard session v1"


def _host_name(host_header: str) -> str:
    """The host part of a ``Host`` header (``[::1]:8470`` -> ``::1``)."""
    return urlsplit(f"//{host_header}").hostname or ""


class Guard:
    """The service's access rules for one token (or none)."""

    def __init__(self, token: SecretStr | None) -> None:
        self._token = token.get_secret_value().encode() if token is not None else None

    def __repr__(self) -> str:
        return f"Guard(token={'***' if self._token else None})"

    @property
    def needs_token(self) -> bool:
        return self._token is not None

    def session_value(self) -> str:
        """The session cookie's value: an HMAC of the token (empty without a token)."""
        if self._token is None:
            return ""
        return hmac.new(self._token, _SESSION_CONTEXT, hashlib.sha256).hexdigest()

    def token_matches(self, offered: str) -> bool:
        """Whether ``offered`` is the token (constant time)."""
        return self._token is not None and hmac.compare_digest(offered.encode(), self._token)

    def authenticated(self, request: Request) -> bool:
        """A bearer token or a session cookie that matches (always, without a token)."""
        if self._token is None:
            return True
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_matches(value.strip()):
            return True
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie, self.session_value())

    def host_allowed(self, request: Request) -> bool:
        """Without a token, only loopback ``Host`` names (no DNS rebinding onto loopback)."""
        if self._token is not None:
            return True
        return is_loopback_host(_host_name(request.headers.get("host", "")))


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
    return bool(cookie) and hmac.compare_digest(cookie.encode(), offered.encode())
