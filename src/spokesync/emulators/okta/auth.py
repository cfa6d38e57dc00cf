"""Who may call: seeded SSWS API tokens (all scopes) or OAuth access tokens (their scopes)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from spokesync.emulators.okta.errors import forbidden, invalid_token
from spokesync.emulators.okta.state import Org


@dataclass(frozen=True)
class Caller:
    """Who made a request: an API token (by its id, never its value) or an OAuth client."""

    kind: Literal["api_token", "oauth"]
    #: the API token's id (``00T…``) or the OAuth client_id
    id: str


def api_token_id(token: str) -> str:
    """The id Okta shows for an API token (``00T`` + 17), derived from the seeded token."""
    return "00T" + hashlib.sha256(token.encode()).hexdigest()[:17]


def _scope_granted(required: str, granted: frozenset[str]) -> bool:
    # A ".manage" scope covers the matching ".read" scope (Okta's scope descriptions).
    if required in granted:
        return True
    return required.endswith(".read") and required[: -len("read")] + "manage" in granted


def authorize(authorization: str | None, org: Org, scope: str) -> Caller:
    """Raise 401 E0000011 for missing or unknown credentials, 403 E0000006 for a missing scope.

    ``SSWS<token>`` without the space is accepted because the official Python SDK sends it.
    """
    header = (authorization or "").strip()
    if header[:4].upper() == "SSWS":
        token = header[4:].strip()
        if token and any(secrets.compare_digest(token, known) for known in org.api_tokens):
            return Caller("api_token", api_token_id(token))
        raise invalid_token()
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        issued = org.access_tokens.get(token.strip())
        if issued is None or issued.expires_at <= org.clock():
            raise invalid_token()
        if not _scope_granted(scope, issued.scopes):
            raise forbidden()
        return Caller("oauth", issued.client_id)
    raise invalid_token()
