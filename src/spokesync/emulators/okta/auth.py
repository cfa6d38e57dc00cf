"""Who may call: seeded SSWS API tokens (all scopes) or OAuth access tokens (their scopes)."""

from __future__ import annotations

import secrets

from spokesync.emulators.okta.errors import forbidden, invalid_token
from spokesync.emulators.okta.state import Org


def _scope_granted(required: str, granted: frozenset[str]) -> bool:
    # A ".manage" scope covers the matching ".read" scope (Okta's scope descriptions).
    if required in granted:
        return True
    return required.endswith(".read") and required[: -len("read")] + "manage" in granted


def authorize(authorization: str | None, org: Org, scope: str) -> None:
    """Raise 401 E0000011 for missing or unknown credentials, 403 E0000006 for a missing scope.

    ``SSWS<token>`` without the space is accepted because the official Python SDK sends it.
    """
    header = (authorization or "").strip()
    if header[:4].upper() == "SSWS":
        token = header[4:].strip()
        if token and any(secrets.compare_digest(token, known) for known in org.api_tokens):
            return
        raise invalid_token()
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        issued = org.access_tokens.get(token.strip())
        if issued is None or issued.expires_at <= org.clock():
            raise invalid_token()
        if not _scope_granted(scope, issued.scopes):
            raise forbidden()
        return
    raise invalid_token()
