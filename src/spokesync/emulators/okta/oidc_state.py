"""The org authorization server's OpenID Connect state: web apps, passwords, codes, keys.

Written from Okta's OAuth 2.0/OIDC API spec (``okta-oauth-oneOfInheritance.yaml``: ``/authorize``,
``/token``, ``/keys``, ``/userinfo``, ``/logout``) and the OpenID Connect Core rules it cites.
Passwords are kept only as salted hashes; nothing here is ever rendered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

Clock = Callable[[], float]

#: How long an authorization code may be redeemed (once).
CODE_LIFETIME = 300
#: Access and ID token lifetime (the spec's examples: ``expires_in`` 3600).
TOKEN_LIFETIME = 3600


@dataclass(frozen=True, slots=True)
class OidcApp:
    """An OIDC web app: a confidential client with registered redirect URIs."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    #: the app's groups claim filter (Admin Console: "Matches regex"), full match
    groups_claim_filter: str = ".*"

    def groups_claim(self, names: list[str]) -> list[str]:
        pattern = re.compile(self.groups_claim_filter)
        return [name for name in names if pattern.fullmatch(name)]


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """What ``/authorize`` was asked, kept with the code it issued."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str | None
    code_challenge: str | None


@dataclass(frozen=True, slots=True)
class IssuedCode:
    request: AuthorizationRequest
    user_id: str
    expires_at: float
    auth_time: float


@dataclass(frozen=True, slots=True)
class UserToken:
    """An access token issued to a signed-in user (for ``/userinfo``)."""

    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


def s256(verifier: str) -> str:
    """PKCE S256: BASE64URL(SHA256(ASCII(code_verifier))) without padding (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcProvider:
    """The org authorization server's apps, users' passwords, codes, tokens and signing key."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.apps: dict[str, OidcApp] = {}
        self._passwords: dict[str, tuple[bytes, bytes]] = {}
        self.codes: dict[str, IssuedCode] = {}
        self.tokens: dict[str, UserToken] = {}
        self._key: rsa.RSAPrivateKey | None = None
        self.key_id = secrets.token_urlsafe(32)

    def __repr__(self) -> str:
        return f"OidcProvider(apps={sorted(self.apps)})"

    # passwords -----------------------------------------------------------------------

    def set_password(self, user_id: str, password: str) -> None:
        salt = secrets.token_bytes(16)
        self._passwords[user_id] = (salt, _hash(salt, password))

    def password_matches(self, user_id: str, password: str) -> bool:
        stored = self._passwords.get(user_id)
        if stored is None:
            return False
        salt, digest = stored
        return hmac.compare_digest(digest, _hash(salt, password))

    # codes and tokens ----------------------------------------------------------------

    def issue_code(self, request: AuthorizationRequest, user_id: str) -> str:
        now = self.clock()
        self._forget_expired(now)
        code = secrets.token_urlsafe(32)
        self.codes[code] = IssuedCode(request, user_id, now + CODE_LIFETIME, now)
        return code

    def redeem(self, code: str) -> IssuedCode | None:
        """The code's grant, once: a code is gone after its first use, expired or not."""
        issued = self.codes.pop(code, None)
        if issued is None or issued.expires_at <= self.clock():
            return None
        return issued

    def issue_access_token(self, user_id: str, client_id: str, scopes: tuple[str, ...]) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = UserToken(user_id, client_id, scopes, self.clock() + TOKEN_LIFETIME)
        return token

    def access_token(self, token: str) -> UserToken | None:
        found = self.tokens.get(token)
        if found is None or found.expires_at <= self.clock():
            return None
        return found

    def _forget_expired(self, now: float) -> None:
        for code in [c for c, issued in self.codes.items() if issued.expires_at <= now]:
            del self.codes[code]

    # signing ---------------------------------------------------------------------------

    @property
    def signing_key(self) -> rsa.RSAPrivateKey:
        """The RS256 key (made at first use: most emulated orgs never sign anything)."""
        if self._key is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._key

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": self.key_id})

    def jwks(self) -> dict[str, Any]:
        """The key set as ``/keys`` serves it (the OAuthKeys schema)."""
        public: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
            self.signing_key.public_key(), as_dict=True
        )
        return {"keys": [{**public, "alg": "RS256", "kid": self.key_id, "use": "sig"}]}

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of an ID token this server signed (expired ones too), else None."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.signing_key.public_key(),
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_aud": False},
            )
        except jwt.PyJWTError:
            return None
        return claims


def _hash(salt: bytes, password: str) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 1000)
