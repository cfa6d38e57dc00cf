"""Conversions between domain objects and table rows (JSON columns are TEXT)."""

from __future__ import annotations

import dataclasses
import json
import operator
import sys
from collections.abc import Mapping, Set
from typing import Any

from spokesync.domain import NO_METADATA, Link, SourceUser, shared_strings, split_identity_key
from spokesync.mapping import Mapped, MappedProfile, Unmappable

_SOURCE_USER_FIELDS = tuple(f.name for f in dataclasses.fields(SourceUser))
_source_user_values = operator.attrgetter(*_SOURCE_USER_FIELDS)


def _jsonable(value: object) -> object:
    # Domain objects hold Mappings and frozensets that json does not know natively.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Set):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} cannot be stored as JSON")


# One encoder for every call: json.dumps with options would build a new one each time.
_encoder = json.JSONEncoder(separators=(",", ":"), default=_jsonable)


def dump_json(value: object) -> str:
    """Compact JSON text; ASCII-only so every backend stores it unchanged."""
    return _encoder.encode(value)


def dump_json_or_none(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else dump_json(value)


def load_json_or_none(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def link_to_row(link: Link, updated_at: str) -> dict[str, Any]:
    """The ``links`` row of ``link``; ``updated_at`` is when it is written."""
    return {
        "identity": link.identity,
        "okta_id": link.okta_id,
        "login": link.login,
        "origin": link.origin,
        "profile": dump_json(link.profile),
        "managed_groups": dump_json(sorted(link.managed_groups)),
        "created_at": link.created_at,
        "updated_at": updated_at,
        "deprovisioned": link.deprovisioned,
        "idp_linked": link.idp_linked,
        "hub_status": link.hub_status,
        "source_blocked_by_us": link.source_blocked_by_us,
    }


def link_from_row(row: Any) -> Link:
    """The Link stored in a ``links`` row (attribute access by column name)."""
    # Interned: the same ids and logins come again from Okta's pages and the profile cache.
    return Link(
        identity=sys.intern(row.identity),
        okta_id=sys.intern(row.okta_id),
        login=sys.intern(row.login),
        origin=sys.intern(row.origin),
        profile=shared_strings(json.loads(row.profile)),
        managed_groups=_group_set(row.managed_groups),
        created_at=row.created_at,
        deprovisioned=row.deprovisioned,
        idp_linked=bool(row.idp_linked),
        hub_status=row.hub_status,
        source_blocked_by_us=bool(row.source_blocked_by_us),
    )


_GROUP_SETS: dict[str, frozenset[str]] = {}


def _group_set(text: str) -> frozenset[str]:
    """One shared frozenset per distinct stored group list (most links share a handful)."""
    found = _GROUP_SETS.get(text)
    if found is None:
        found = _GROUP_SETS[text] = frozenset(json.loads(text))
    return found


def source_user_to_json(user: SourceUser) -> str:
    """Every SourceUser field as one JSON object."""
    return _encoder.encode(dict(zip(_SOURCE_USER_FIELDS, _source_user_values(user), strict=True)))


def source_user_from_json(text: str) -> SourceUser:
    """Inverse of :func:`source_user_to_json`; keys of fields that no longer exist are ignored."""
    data = shared_strings(json.loads(text))
    for name in ("user_metadata", "app_metadata"):
        if not data.get(name):
            data[name] = NO_METADATA  # most users have none: share one empty mapping
    try:
        return SourceUser(**data)
    except TypeError:  # rare: written by a version of spokesync with other fields
        return SourceUser(**{k: v for k, v in data.items() if k in _SOURCE_USER_FIELDS})


def mapped_to_json(user: SourceUser, mapped: Mapped) -> str:
    """What planning needs of a cached profile: its lifecycle flags and its mapped result."""
    facts: dict[str, Any] = {"blocked": user.blocked, "email_verified": user.email_verified}
    if isinstance(mapped, Unmappable):
        facts["unmappable"] = mapped.reason
        facts["attribute"] = mapped.attribute
    else:
        facts["profile"] = mapped.profile
        facts["warnings"] = mapped.warnings
    return _encoder.encode(facts)


def mapped_from_json(identity: str, text: str) -> tuple[SourceUser, Mapped]:
    """Inverse of :func:`mapped_to_json`: a profile holding only the flags, and the result.

    The planner reads nothing else of a profile whose mapped result it is given.
    """
    facts = json.loads(text)
    source, user_id = split_identity_key(identity)
    user = SourceUser(
        source=sys.intern(source),
        user_id=sys.intern(user_id),
        email_verified=bool(facts["email_verified"]),
        blocked=bool(facts["blocked"]),
    )
    if "unmappable" in facts:
        return user, Unmappable(str(facts["unmappable"]), str(facts.get("attribute", "")))
    warnings = tuple(str(w) for w in facts.get("warnings", ()))
    return user, MappedProfile(shared_strings(facts["profile"]), warnings)
