"""Dashboard sessions: a random id per sign-in in an HttpOnly cookie, its hash in the store.

A session ends at sign-out, after ``[serve] session_idle_minutes`` unused, after
``[serve] session_max_hours`` in any case, and when its person signs in again with other roles
(their groups changed). The cookie is ``__Host-`` prefixed and ``Secure`` when the service is
reached over HTTPS, and SameSite=Strict. A cookie that is not one of ours, in any way, is
no session: reading it never raises.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from spokesync.store.base import Store
from spokesync.store.web_sessions import WebSession

SESSION_COOKIE = "spokesync_session"
#: The roles a [serve] token (or, without any sign-in, loopback) carries: all of them.
ALL_ROLES = frozenset({"viewer", "operator", "approver"})
#: Write the last-seen time at most this often (not on every request).
TOUCH_SECONDS = 60
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a trusted proxy)."""
    return request.url.scheme == "https"


def cookie_name(request: Request, base: str) -> str:
    """``__Host-NAME`` over HTTPS (Secure, Path=/, no Domain: only this host may set it)."""
    return f"__Host-{base}" if secure(request) else base


def set_cookie(
    request: Request,
    response: Response,
    base: str,
    value: str,
    *,
    samesite: str = "strict",
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        cookie_name(request, base),
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
        secure=secure(request),
    )


def delete_cookie(
    request: Request, response: Response, base: str, samesite: str = "strict"
) -> None:
    response.delete_cookie(
        cookie_name(request, base),
        path="/",
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
        secure=secure(request),
    )


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request: a signed-in person, the [serve] token, or (open service) loopback."""

    subject: str
    email: str | None = None
    name: str | None = None
    roles: frozenset[str] = ALL_ROLES
    #: the session's stored hash, None for Bearer or open access
    session: str | None = None

    def holds(self, role: str) -> bool:
        return role in self.roles

    @property
    def requested_by(self) -> dict[str, str]:
        """What run records and audit rows say about who asked."""
        if self.email is None:
            return {"subject": self.subject}
        return {"subject": self.subject, "email": self.email}

    @property
    def label(self) -> str:
        return self.email or self.name or self.subject


TOKEN = Principal("token")
#: An open service (no [serve] token, no OIDC) listens on loopback only: whoever is on the host.
LOOPBACK = Principal("loopback")
#: Nobody signed in, on the paths anyone may read (the sign-in steps): no role at all.
ANONYMOUS = Principal("anonymous", roles=frozenset())


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class Sessions:
    """Starts, finds and ends sessions in the state store, with the configured lifetimes."""

    def __init__(
        self,
        store: Store,
        *,
        idle: timedelta,
        absolute: timedelta,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.idle = idle
        self.absolute = absolute
        self._clock = clock or (lambda: datetime.now(UTC))

    def start(self, who: Principal) -> str:
        """A new session for ``who``; returns the cookie value (the id, never stored as is).

        The person's sessions held with other roles end: their groups changed since.
        """
        self.end_expired()  # housekeeping, at a moment that is rare and never hot
        now = _iso(self._clock())
        session_id = secrets.token_urlsafe(32)
        roles = tuple(sorted(who.roles))
        self.store.end_sessions_with_other_roles(who.subject, roles)
        self.store.save_session(
            WebSession(_hash(session_id), who.subject, who.email, who.name, roles, now, now)
        )
        return session_id

    def find(self, cookie: str | None) -> Principal | None:
        """The session a cookie names, if it is one of ours and still alive (never raises for
        a malformed cookie)."""
        if not cookie or not _SESSION_ID.fullmatch(cookie):
            return None
        id_hash = _hash(cookie)
        found = self.store.find_session(id_hash)
        if found is None:
            return None
        now = self._clock()
        try:
            created = datetime.fromisoformat(found.created_at.replace("Z", "+00:00"))
            seen = datetime.fromisoformat(found.last_seen_at.replace("Z", "+00:00"))
        except ValueError:
            self.store.end_session(id_hash)
            return None
        if now - seen > self.idle or now - created > self.absolute:
            self.store.end_session(id_hash)
            return None
        if (now - seen).total_seconds() >= TOUCH_SECONDS:
            self.store.touch_session(id_hash, _iso(now))
        return Principal(
            found.subject, found.email, found.name, frozenset(found.roles), session=id_hash
        )

    def end(self, who: Principal) -> None:
        if who.session is not None:
            self.store.end_session(who.session)

    def end_expired(self) -> int:
        """Delete the sessions past either limit (housekeeping; ``find`` checks anyway)."""
        now = self._clock()
        return self.store.end_expired_sessions(_iso(now - self.idle), _iso(now - self.absolute))
