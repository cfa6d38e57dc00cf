"""Identifiers in Auth0's own formats."""

from __future__ import annotations

import secrets
import string

_ALPHANUMERIC = string.ascii_letters + string.digits


def alphanumeric(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def role_id() -> str:
    """``rol_`` + 16 alphanumerics, like ``rol_9yRKwo2Bl0zckceV``."""
    return "rol_" + alphanumeric(16)


def organization_id() -> str:
    """``org_`` + 16 alphanumerics, like ``org_SST1yp2pazgSiMYi`` (organizations-list.json)."""
    return "org_" + alphanumeric(16)


def job_id() -> str:
    """``job_`` + 16 alphanumerics, like ``job_iSjvljNtsTMmSpRW``."""
    return "job_" + alphanumeric(16)


def connection_id() -> str:
    """``con_`` + 16 alphanumerics (the OAS pattern ``^con_[A-Za-z0-9]{16}$``)."""
    return "con_" + alphanumeric(16)


def database_user_id() -> str:
    """24 hex digits, the id part of ``auth0|63d17c4a9d503d76c056c160``."""
    return secrets.token_hex(12)
