"""Okta answers turned into typed values, checking each field's type on the way in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spokesync.domain import TargetUser, shared_strings


class ShapeError(ValueError):
    """A field of an answer has the wrong type; the client re-raises it as MalformedResponse."""


@dataclass(frozen=True, slots=True)
class Group:
    """An Okta group: ``type`` is OKTA_GROUP, APP_GROUP or BUILT_IN."""

    id: str
    name: str
    type: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class UserType:
    """An Okta user type: ``id`` (``oty...``), ``name`` (fixed at creation), display name."""

    id: str
    name: str
    display_name: str
    default: bool
    #: the id of its profile schema (``osc...``, from ``_links.schema``); None if not linked
    schema_id: str | None = None


@dataclass(frozen=True, slots=True)
class IdpLink:
    """An Okta user linked to an identity provider under ``external_id``."""

    user_id: str
    external_id: str


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(f"{what} is not a JSON object")
    return value


def _str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"{what}.{key} must be a non-empty string, got {type(value).__name__}")
    return value


def parse_target_user(value: Any) -> TargetUser:
    """A ``User`` object: ``id``, ``status`` and ``profile`` are required."""
    data = _object(value, "user")
    profile = _object(data.get("profile"), "user.profile")
    # Null attributes carry nothing to compare and cost memory on large groups.
    kept = shared_strings({k: v for k, v in profile.items() if v is not None})
    return TargetUser(
        id=_str(data, "id", "user"), status=_str(data, "status", "user"), profile=kept
    )


def parse_group(value: Any) -> Group:
    """A ``Group`` object: ``id``, ``type`` and ``profile.name``."""
    data = _object(value, "group")
    profile = _object(data.get("profile"), "group.profile")
    return Group(
        id=_str(data, "id", "group"),
        name=_str(profile, "name", "group.profile"),
        type=str(data.get("type") or "OKTA_GROUP"),
        description=str(profile.get("description") or ""),
    )


def parse_user_type(value: Any) -> UserType:
    """A ``UserType`` object: ``id`` and ``name`` are required."""
    data = _object(value, "user type")
    return UserType(
        id=_str(data, "id", "user type"),
        name=_str(data, "name", "user type"),
        display_name=str(data.get("displayName") or ""),
        default=data.get("default") is True,
        schema_id=_schema_id(data.get("_links")),
    )


def _schema_id(links: Any) -> str | None:
    """The schema id a user type's ``_links.schema.href`` ends with, if it has one."""
    if not isinstance(links, dict):
        return None
    schema = links.get("schema")
    href = schema.get("href") if isinstance(schema, dict) else None
    if not isinstance(href, str) or "/meta/schemas/user/" not in href:
        return None
    return href.rstrip("/").rsplit("/", 1)[-1] or None


def parse_user_types(value: Any) -> list[UserType]:
    """The array ``GET /api/v1/meta/types/user`` answers (no paging)."""
    if not isinstance(value, list):
        raise ShapeError("user types is not a JSON array")
    return [parse_user_type(item) for item in value]


def parse_idp_link(value: Any) -> IdpLink:
    """An ``IdentityProviderApplicationUser``: ``id`` (the Okta user) and ``externalId``."""
    data = _object(value, "idp user")
    return IdpLink(
        user_id=_str(data, "id", "idp user"), external_id=_str(data, "externalId", "idp user")
    )
