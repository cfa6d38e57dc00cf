"""Auth0 Management API access tokens: the client-credentials grant, cached until near expiry.

``POST {base}/oauth/token`` with ``{grant_type, client_id, client_secret | client_assertion,
audience}``. The token is reused until ``expires_in`` minus a margin (the smaller of 60 s and
10 %), refreshed by one caller at a time, and refreshed early once when the API answers 401.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
from pydantic import SecretStr

from spokesync.http.errors import MalformedResponse
from spokesync.http.session import ApiSession, call

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _reveal(value: str | SecretStr | None) -> str | None:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


@dataclass(frozen=True)
class AccessToken:
    """A bearer token, when to stop using it, and the scopes it was granted."""

    value: str = field(repr=False)
    expires_at: float
    scopes: tuple[str, ...] = ()


def cache_until(now: float, expires_in: float) -> float:
    """When to stop using a token that lives ``expires_in`` seconds: 60 s or 10 % early."""
    return now + expires_in - min(60.0, expires_in * 0.1)


def parse_token_response(
    session: ApiSession, body: object, now: float, request_endpoint: str
) -> AccessToken:
    """The ``AccessToken`` in an OAuth token response, or ``MalformedResponse`` naming the field."""

    def bad(what: str) -> MalformedResponse:
        method, _, path = request_endpoint.partition(" ")
        return MalformedResponse(
            f"token response: {what}", service=session.service, method=method, url=path
        )

    if not isinstance(body, dict):
        raise bad("not a JSON object")
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise bad("access_token missing or not a string")
    expires_in = body.get("expires_in", 3600)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
        raise bad("expires_in is not a positive number")
    scope = body.get("scope", "")
    if not isinstance(scope, str):
        raise bad("scope is not a string")
    return AccessToken(token, cache_until(now, float(expires_in)), tuple(scope.split()))


class ClientCredentials:
    """Client-credentials grant with a client secret or a ``private_key_jwt`` assertion.

    ``audience`` defaults to ``{base}/api/v2/`` of the session that asks for the token.
    """

    refreshable = True

    def __init__(
        self,
        client_id: str,
        client_secret: str | SecretStr | None = None,
        *,
        private_key_pem: str | SecretStr | None = None,
        key_id: str | None = None,
        algorithm: str = "RS256",
        audience: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (client_secret is None) == (private_key_pem is None):
            raise ValueError("give exactly one of client_secret and private_key_pem")
        self.client_id = client_id
        self._secret = SecretStr(_reveal(client_secret) or "") if client_secret else None
        self._private_key = SecretStr(_reveal(private_key_pem) or "") if private_key_pem else None
        self.key_id = key_id
        self.algorithm = algorithm
        self.audience = audience
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: AccessToken | None = None
        self.fetches = 0

    def __repr__(self) -> str:
        method = "private_key_jwt" if self._private_key else "client_secret"
        return f"ClientCredentials(client_id={self.client_id!r}, method={method})"

    @property
    def granted_scopes(self) -> tuple[str, ...]:
        """The scopes of the last token fetched (empty before the first fetch)."""
        return self._token.scopes if self._token else ()

    async def header(
        self, session: ApiSession, *, refresh: bool = False, stale: str | None = None
    ) -> str:
        """``Bearer <token>``, fetching a token when none is cached, it expired, or on refresh."""
        token = await self.token(session, refresh=refresh, stale=stale)
        return f"Bearer {token.value}"

    async def token(
        self, session: ApiSession, *, refresh: bool = False, stale: str | None = None
    ) -> AccessToken:
        """The cached token, or a new one (one fetch at a time, however many callers wait)."""
        async with self._lock:
            current = self._token
            if current is not None and self._clock() < current.expires_at:
                replaced = stale is not None and stale != f"Bearer {current.value}"
                if not refresh or replaced:
                    return current
            self._token = await self._fetch(session)
            return self._token

    def _assertion(self, base_url: str) -> str:
        assert self._private_key is not None
        now = int(self._clock())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": f"{base_url}/",
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.key_id} if self.key_id else None
        return jwt.encode(
            claims, self._private_key.get_secret_value(), algorithm=self.algorithm, headers=headers
        )

    async def _fetch(self, session: ApiSession) -> AccessToken:
        base = session.base_url
        body: dict[str, str] = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "audience": self.audience or f"{base}/api/v2/",
        }
        if self._secret is not None:
            body["client_secret"] = self._secret.get_secret_value()
        else:
            body["client_assertion_type"] = CLIENT_ASSERTION_TYPE
            body["client_assertion"] = self._assertion(base)
        request = call(
            "POST", "/oauth/token", json_body=body, authenticated=False, token_endpoint=True
        )
        self.fetches += 1
        answer = await session.send_json(request)
        return parse_token_response(session, answer, self._clock(), request.endpoint)
