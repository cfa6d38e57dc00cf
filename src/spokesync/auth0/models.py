"""Auth0 answers turned into typed values, checking each field's type on the way in.

A field of the wrong type raises :class:`~spokesync.http.errors.MalformedResponse` naming the
field, so a bad answer fails loudly at the edge instead of deep inside the planner.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spokesync.domain import NO_METADATA, SourceUser, shared_string


class ShapeError(ValueError):
    """A field of an answer has the wrong type; the client re-raises it as MalformedResponse."""


@dataclass(frozen=True, slots=True)
class Role:
    """An Auth0 role."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class RoleMember:
    """One item of ``GET /roles/{id}/users``: only these fields exist there."""

    user_id: str
    email: str | None = None
    name: str | None = None


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(f"{what} is not a JSON object")
    return value


def required_str(data: Mapping[str, Any], key: str, what: str) -> str:
    """``data[key]`` as a non-empty string."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"{what}.{key} must be a non-empty string, got {type(value).__name__}")
    return value


def optional_str(data: Mapping[str, Any], key: str, what: str) -> str | None:
    """``data[key]`` as a string, or ``None`` when absent or null."""
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ShapeError(f"{what}.{key} must be a string, got {type(value).__name__}")


def _bool(data: Mapping[str, Any], key: str, what: str) -> bool:
    value = data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ShapeError(f"{what}.{key} must be a boolean, got {type(value).__name__}")
    return value


def _metadata(data: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return NO_METADATA
    # Most users have none: one shared empty mapping instead of one each.
    return _object(value, f"{what}.{key}") or NO_METADATA


def _shared(value: str | None) -> str | None:
    # The same email and names are kept by the links and the Okta profiles too.
    return None if value is None else shared_string(value)


def parse_role(value: Any) -> Role:
    """A role object ``{id, name, description?}``."""
    data = _object(value, "role")
    return Role(id=required_str(data, "id", "role"), name=required_str(data, "name", "role"))


def parse_role_member(value: Any) -> RoleMember:
    """A role-member item ``{user_id, email?, name?, picture?}``."""
    data = _object(value, "role member")
    return RoleMember(
        # Interned: the same id is kept by the role's member set and the cached profile.
        user_id=sys.intern(required_str(data, "user_id", "role member")),
        email=optional_str(data, "email", "role member"),
        name=optional_str(data, "name", "role member"),
    )


def parse_source_user(source: str, value: Any) -> SourceUser:
    """A full user object (``GET /users/{id}``, search, PATCH answer) as a ``SourceUser``."""
    what = "user"
    data = _object(value, what)
    return SourceUser(
        source=sys.intern(source),
        user_id=sys.intern(required_str(data, "user_id", what)),
        email=_shared(optional_str(data, "email", what)),
        email_verified=_bool(data, "email_verified", what),
        name=optional_str(data, "name", what),
        given_name=_shared(optional_str(data, "given_name", what)),
        family_name=_shared(optional_str(data, "family_name", what)),
        nickname=optional_str(data, "nickname", what),
        user_metadata=_metadata(data, "user_metadata", what),
        app_metadata=_metadata(data, "app_metadata", what),
        blocked=_bool(data, "blocked", what),
        updated_at=optional_str(data, "updated_at", what),
    )
