"""OpenID Connect sign-in with the hub: authorization code with PKCE (S256), ``state`` and
``nonce``, the ID token verified against the issuer's JWKS with PyJWT.

The login in progress lives in a short-lived cookie (``state``, ``nonce``, the PKCE verifier),
HMAC-signed with a key derived from the client secret, so that any replica can finish a
sign-in another one started. The ID token is checked for its RS256 signature by a key of the
issuer's ``jwks_uri``, ``iss``, ``aud`` (and ``azp`` when several audiences), ``exp``/``iat``
and the ``nonce``; any failure is :class:`OidcError`, whose text is safe to show.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt

from spokesync.config.sections import OidcConfig
from spokesync.http.factory import tls_context

#: How long a sign-in may take between /auth/login and /auth/callback.
LOGIN_SECONDS = 600
#: Clock difference tolerated on ``exp``/``iat``.
LEEWAY_SECONDS = 60
#: Refetch the key set for an unknown ``kid`` at most this often (a rotated key).
JWKS_REFRESH_SECONDS = 60
SCOPES = "openid email profile groups"
_ALGORITHMS = ["RS256"]
_COOKIE_CONTEXT = b"spokesync oidc login v1"


class OidcError(Exception):
    """A sign-in that cannot complete; the message names the cause and never a secret."""


@dataclass(frozen=True, slots=True)
class Login:
    """A sign-in in progress: what the callback must see again."""

    state: str
    nonce: str
    verifier: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified ID token's person."""

    subject: str
    email: str | None
    name: str | None
    groups: list[str]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def code_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636 4.2)."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


class OidcClient:
    """The relying party of one ``[serve.oidc]``: builds the redirect, finishes the callback."""

    def __init__(
        self,
        config: OidcConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Any = time.time,
    ) -> None:
        self.config = config
        self._transport = transport
        self._clock = clock
        secret = config.client_secret.get_secret_value().encode()
        self._cookie_key = hmac.new(secret, _COOKIE_CONTEXT, hashlib.sha256).digest()
        self._tls = tls_context(config.ca_bundle)
        self._metadata: dict[str, Any] | None = None
        self._keys: jwt.PyJWKSet | None = None
        self._keys_at = 0.0

    def __repr__(self) -> str:
        return f"OidcClient(issuer={self.config.issuer!r}, client_id={self.config.client_id!r})"

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self._transport,
            timeout=self.config.timeout_seconds,
            verify=self._tls,
            follow_redirects=False,
        )

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            async with self._http() as http:
                answer = await http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"the issuer's {what} cannot be read ({type(exc).__name__})") from exc
        if answer.status_code != 200:
            raise OidcError(f"the issuer's {what} answered HTTP {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            raise OidcError(f"the issuer's {what} is not JSON") from None
        if not isinstance(body, dict):
            raise OidcError(f"the issuer's {what} is not a JSON object")
        return body

    async def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (read once), checked to name this issuer."""
        if self._metadata is None:
            url = f"{self.config.issuer}/.well-known/openid-configuration"
            found = await self._get_json(url, "OpenID configuration")
            if found.get("issuer") != self.config.issuer:
                raise OidcError(
                    "the issuer's OpenID configuration names another issuer: check "
                    "[serve.oidc] issuer"
                )
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(key), str) or not found[key].startswith(
                    ("https://", "http://")
                ):
                    raise OidcError(f"the issuer's OpenID configuration has no {key}")
            self._metadata = found
        return self._metadata

    # the login cookie --------------------------------------------------------------------

    def seal(self, login: Login) -> str:
        body = _b64(
            json.dumps(
                {"s": login.state, "n": login.nonce, "v": login.verifier, "t": login.expires_at}
            ).encode()
        )
        mac = _b64(hmac.new(self._cookie_key, body.encode(), hashlib.sha256).digest())
        return f"{body}.{mac}"

    def unseal(self, cookie: str | None) -> Login | None:
        """The login a cookie holds, if we sealed it and it is not too old; never raises."""
        if not cookie or cookie.count(".") != 1 or not cookie.isascii():
            return None
        body, mac = cookie.split(".")
        expected = _b64(hmac.new(self._cookie_key, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, mac):
            return None
        try:
            data = json.loads(_unb64(body))
            login = Login(str(data["s"]), str(data["n"]), str(data["v"]), float(data["t"]))
        except (ValueError, KeyError, TypeError):
            return None
        return login if login.expires_at > self._clock() else None

    # the flow ----------------------------------------------------------------------------

    async def begin(self) -> tuple[str, Login]:
        """The issuer's authorize URL for a new login, and the login to keep in the cookie."""
        metadata = await self.metadata()
        login = Login(
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
            self._clock() + LOGIN_SECONDS,
        )
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "response_type": "code",
                "scope": SCOPES,
                "redirect_uri": self.config.redirect_url,
                "state": login.state,
                "nonce": login.nonce,
                "code_challenge": code_challenge(login.verifier),
                "code_challenge_method": "S256",
            }
        )
        endpoint = str(metadata["authorization_endpoint"])
        joiner = "&" if urlsplit(endpoint).query else "?"
        return f"{endpoint}{joiner}{query}", login

    async def finish(self, login: Login, state: str, code: str) -> Identity:
        """Check ``state``, redeem ``code`` with the verifier, verify the ID token."""
        if not state or not hmac.compare_digest(state.encode(), login.state.encode()):
            raise OidcError("the sign-in's state does not match: start the sign-in again")
        if not code:
            raise OidcError("the issuer sent no authorization code")
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_url,
            "code_verifier": login.verifier,
        }
        auth = (self.config.client_id, self.config.client_secret.get_secret_value())
        try:
            async with self._http() as http:
                answer = await http.post(str(metadata["token_endpoint"]), data=form, auth=auth)
        except httpx.HTTPError as exc:
            raise OidcError(
                f"the issuer's token endpoint cannot be reached ({type(exc).__name__})"
            ) from exc
        try:
            tokens = answer.json()
        except ValueError:
            tokens = None
        if answer.status_code != 200 or not isinstance(tokens, dict):
            error = tokens.get("error") if isinstance(tokens, dict) else None
            detail = f": {str(error)[:80]}" if isinstance(error, str) else ""
            raise OidcError(
                f"the issuer refused the authorization code (HTTP {answer.status_code}{detail})"
            )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the issuer's token answer holds no ID token")
        return await self.verify(id_token, login.nonce)

    async def _key_for(self, kid: str | None) -> Any:
        now = time.monotonic()
        if self._keys is None or (
            kid not in self._key_ids() and now - self._keys_at >= JWKS_REFRESH_SECONDS
        ):
            metadata = await self.metadata()
            jwks = await self._get_json(str(metadata["jwks_uri"]), "key set")
            try:
                self._keys = jwt.PyJWKSet.from_dict(jwks)
            except jwt.PyJWTError as exc:
                raise OidcError("the issuer's key set holds no usable key") from exc
            self._keys_at = now
        for key in self._keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise OidcError("the ID token is signed by a key the issuer does not publish")

    def _key_ids(self) -> set[str | None]:
        return set() if self._keys is None else {key.key_id for key in self._keys.keys}

    async def verify(self, id_token: str, nonce: str) -> Identity:
        """The person of an ID token: signature by the issuer's JWKS, iss, aud, exp, nonce."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise OidcError("the ID token is not a JWT") from None
        if header.get("alg") not in _ALGORITHMS:
            raise OidcError("the ID token is not signed with RS256")
        key = await self._key_for(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=_ALGORITHMS,
                audience=self.config.client_id,
                issuer=self.config.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise OidcError("the ID token has expired") from None
        except jwt.InvalidAudienceError:
            raise OidcError("the ID token is for another client (aud)") from None
        except jwt.InvalidIssuerError:
            raise OidcError("the ID token is from another issuer (iss)") from None
        except jwt.InvalidSignatureError:
            raise OidcError("the ID token's signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise OidcError(f"the ID token is not valid ({type(exc).__name__})") from None
        audience = claims.get("aud")
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") != self.config.client_id:
            raise OidcError("the ID token is for several clients and not authorized for us")
        offered = claims.get("nonce")
        if not isinstance(offered, str) or not hmac.compare_digest(
            offered.encode(), nonce.encode()
        ):
            raise OidcError("the ID token's nonce does not match: start the sign-in again")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise OidcError("the ID token names no subject")
        groups = claims.get("groups", [])
        if not isinstance(groups, list):
            groups = []
        email = claims.get("email")
        name = claims.get("name")
        return Identity(
            subject,
            email if isinstance(email, str) else None,
            name if isinstance(name, str) else None,
            [g for g in groups if isinstance(g, str)],
        )
