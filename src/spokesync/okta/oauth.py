"""OAuth 2.0 for an Okta service app: client credentials with a ``private_key_jwt`` assertion.

``POST {org}/oauth2/v1/token`` (form body) with ``grant_type=client_credentials``, ``scope`` and
a ``client_assertion`` signed with the app's private key (RS256, ``iss = sub = client_id``,
``aud = {org}/oauth2/v1/token``, ``exp = now + 300``, a fresh ``jti``). The access token lives
one hour; it is cached until the margin before expiry and sent as ``Authorization: Bearer``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence

import jwt
from pydantic import SecretStr

from spokesync.http.errors import MalformedResponse
from spokesync.http.session import ApiSession, call
from spokesync.okta.buckets import OAUTH_TOKEN

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PATH = "/oauth2/v1/token"


class PrivateKeyJwtToken:
    """Bearer tokens for ``scopes``, minted with the service app's private key."""

    refreshable = True

    def __init__(
        self,
        org_url: str,
        client_id: str,
        private_key_pem: str | SecretStr,
        scopes: Sequence[str],
        *,
        key_id: str | None = None,
        algorithm: str = "RS256",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.org_url = org_url.rstrip("/")
        self.client_id = client_id
        pem = (
            private_key_pem.get_secret_value()
            if isinstance(private_key_pem, SecretStr)
            else private_key_pem
        )
        self._key = SecretStr(pem)
        self.scopes = tuple(scopes)
        self.key_id = key_id
        self.algorithm = algorithm
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.granted_scopes: tuple[str, ...] = ()
        self.fetches = 0

    def __repr__(self) -> str:
        return f"PrivateKeyJwtToken(client_id={self.client_id!r}, scopes={self.scopes!r})"

    def assertion(self) -> str:
        """A freshly signed client assertion JWT."""
        now = int(self._clock())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": f"{self.org_url}{TOKEN_PATH}",
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.key_id} if self.key_id else None
        return jwt.encode(
            claims, self._key.get_secret_value(), algorithm=self.algorithm, headers=headers
        )

    async def header(
        self, session: ApiSession, *, refresh: bool = False, stale: str | None = None
    ) -> str:
        """``Bearer <token>``: cached, or fetched when missing, expiring, or refreshed."""
        async with self._lock:
            current = f"Bearer {self._token}" if self._token else None
            fresh = current is not None and self._clock() < self._expires_at
            replaced = stale is not None and stale != current
            if current is not None and fresh and (not refresh or replaced):
                return current
            await self._fetch(session)
            return f"Bearer {self._token}"

    async def _fetch(self, session: ApiSession) -> None:
        request = call(
            "POST",
            TOKEN_PATH,
            form={
                "grant_type": "client_credentials",
                "scope": " ".join(self.scopes),
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": self.assertion(),
            },
            bucket=OAUTH_TOKEN,
            authenticated=False,
            token_endpoint=True,
        )
        self.fetches += 1
        body = await session.send_json(request)
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in", 3600) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse(
                "token response: access_token missing", service=session.service, url=TOKEN_PATH
            )
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, int | float)
            or expires_in <= 0
        ):
            raise MalformedResponse(
                "token response: expires_in is not a positive number",
                service=session.service,
                url=TOKEN_PATH,
            )
        now = self._clock()
        self._token = token
        self._expires_at = now + expires_in - min(60.0, expires_in * 0.1)
        scope = body.get("scope", "") if isinstance(body, dict) else ""
        self.granted_scopes = tuple(str(scope).split())
