"""Machine-to-machine clients, client authentication and the access tokens this tenant issues.

Access tokens are HS256 JWTs signed with a key that lives only in this process, so a token
from another emulator (or a forged one) is refused. Expiry is checked against the emulator's
clock, not PyJWT's, so tests can move time instead of sleeping.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from spokesync.emulators.auth0.clock import Clock
from spokesync.emulators.auth0.errors import ApiError, OAuthError

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: algorithms Auth0 documents for private_key_jwt
ASSERTION_ALGORITHMS = ["RS256", "RS384", "PS256"]
MAX_ASSERTION_BYTES = 2048
#: allowed clock skew for assertion ``exp``/``nbf``/``iat`` (Auth0 documents 10 s)
SKEW_SECONDS = 10


@dataclass(frozen=True)
class Client:
    """A machine-to-machine application of the tenant. Secrets stay out of ``repr``."""

    client_id: str
    scopes: tuple[str, ...]
    client_secret: str | None = field(default=None, repr=False)
    public_key_pem: str | None = field(default=None, repr=False)

    @staticmethod
    def check_public_key(pem: str) -> None:
        """Raise ValueError if ``pem`` is not a PEM public key."""
        load_pem_public_key(pem.encode())


@dataclass(frozen=True)
class Grant:
    """What a valid access token allows."""

    client_id: str
    scopes: frozenset[str]
    expires_at: float


def _unauthorized() -> OAuthError:
    return OAuthError(401, "access_denied", "Unauthorized")


def _bad_assertion(why: str) -> OAuthError:
    return OAuthError(401, "invalid_client", f"Invalid client assertion: {why}")


class TokenService:
    """Authenticates clients at ``/oauth/token`` and checks bearer tokens on ``/api/v2``."""

    def __init__(self, clients: dict[str, Client], clock: Clock, lifetime_seconds: int) -> None:
        self.clients = clients
        self.clock = clock
        self.lifetime_seconds = lifetime_seconds
        self._key = secrets.token_bytes(32)
        self._seen_jti: dict[str, float] = {}

    # client authentication ---------------------------------------------------------------

    def authenticate_secret(self, client_id: str, client_secret: str) -> Client:
        """The client, if ``client_secret`` is its secret (compared in constant time)."""
        client = self.clients.get(client_id)
        if client is None or client.client_secret is None:
            raise _unauthorized()
        if not secrets.compare_digest(client.client_secret.encode(), client_secret.encode()):
            raise _unauthorized()
        return client

    def authenticate_assertion(
        self, client_id: str | None, assertion: str, audience: str
    ) -> Client:
        """The client whose private key signed ``assertion`` (private_key_jwt)."""
        if len(assertion.encode()) > MAX_ASSERTION_BYTES:
            raise _bad_assertion("longer than 2048 bytes")
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _bad_assertion("not a JWT") from None
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or (client_id is not None and client_id != issuer):
            raise _bad_assertion("iss must be the client_id")
        client = self.clients.get(issuer)
        if client is None or client.public_key_pem is None:
            raise _bad_assertion("no public key registered for this client")
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                client.public_key_pem,
                algorithms=ASSERTION_ALGORITHMS,
                audience=audience,
                options={
                    "require": ["iss", "sub", "aud", "exp", "jti"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise _bad_assertion(f"aud must be {audience}") from None
        except jwt.PyJWTError as error:
            raise _bad_assertion(type(error).__name__) from None
        self._check_assertion_claims(claims, client.client_id)
        return client

    def _check_assertion_claims(self, claims: dict[str, Any], client_id: str) -> None:
        now = self.clock.now()
        if claims["sub"] != client_id:
            raise _bad_assertion("sub must equal iss")
        if not isinstance(claims["exp"], int | float) or claims["exp"] + SKEW_SECONDS < now:
            raise _bad_assertion("expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf - SKEW_SECONDS > now:
            raise _bad_assertion("not yet valid")
        self._seen_jti = {
            jti: exp for jti, exp in self._seen_jti.items() if exp + SKEW_SECONDS >= now
        }
        jti = f"{client_id}:{claims['jti']}"
        if jti in self._seen_jti:
            raise _bad_assertion("jti already used")
        self._seen_jti[jti] = float(claims["exp"])

    # access tokens -----------------------------------------------------------------------

    def issue(self, client: Client, base_url: str) -> dict[str, Any]:
        """The ``/oauth/token`` answer for ``client``: a Bearer token with its scopes."""
        now = int(self.clock.now())
        scope = " ".join(client.scopes)
        claims = {
            "iss": f"{base_url}/",
            "sub": f"{client.client_id}@clients",
            "aud": f"{base_url}/api/v2/",
            "iat": now,
            "exp": now + self.lifetime_seconds,
            "scope": scope,
            "gty": "client-credentials",
            "azp": client.client_id,
            "jti": secrets.token_hex(8),
        }
        token = jwt.encode(claims, self._key, algorithm="HS256")
        return {
            "access_token": token,
            "expires_in": self.lifetime_seconds,
            "scope": scope,
            "token_type": "Bearer",
        }

    def verify(self, authorization: str | None) -> Grant:
        """The grant behind an ``Authorization: Bearer`` header, or a 401 ApiError."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Invalid token.")
        try:
            claims = jwt.decode(
                token.strip(),
                self._key,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            raise ApiError(401, "Invalid token.") from None
        expires_at = float(claims.get("exp", 0))
        if expires_at <= self.clock.now():
            raise ApiError(401, "Expired token received for JSON Web Token validation.")
        return Grant(
            str(claims.get("azp", "")), frozenset(str(claims.get("scope", "")).split()), expires_at
        )
