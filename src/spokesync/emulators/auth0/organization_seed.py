"""Validate the ``organizations`` of an Auth0 emulator seed and load them into a tenant.

The shape is the contract in DESIGN.md "Organizations"::

    {"id": "org_...", "name": "acme", "display_name": "Acme Corp", "metadata": {},
     "members": [{"user_id": "auth0|...", "roles": ["rol_..."]}]}

``id`` is generated in Auth0's format when omitted; a member must be a user of ``auth0.users``
and its roles roles of ``auth0.roles`` (by id or name). Every problem raises ValueError naming
the entry, e.g. ``auth0.organizations[2] (acme).members[0]: unknown user 'auth0|x'``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spokesync.emulators.auth0 import ids
from spokesync.emulators.auth0.organizations import (
    ID_PATTERN,
    MAX_ROLES_PER_MEMBER,
    Organization,
    display_name_problem,
    metadata_problem,
    name_problem,
)
from spokesync.emulators.auth0.state import Tenant

_KEYS = frozenset({"id", "name", "display_name", "metadata", "branding", "members"})
_MEMBER_KEYS = frozenset({"user_id", "roles"})


def _organization(entry: Mapping[str, Any], where: str, created_at: float) -> Organization:
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    if "name" not in entry:
        raise ValueError(f"{where}: name is required")
    problem = name_problem(entry["name"])
    if problem:
        raise ValueError(f"{where}: name {problem}")
    name: str = entry["name"]
    where = f"{where} ({name})"
    org_id = entry.get("id")
    if org_id is None:
        org_id = ids.organization_id()
    elif not isinstance(org_id, str) or not ID_PATTERN.match(org_id):
        raise ValueError(f"{where}: id must be org_ followed by 1 to 46 letters or digits")
    display_name = entry.get("display_name")
    if display_name is not None and (problem := display_name_problem(display_name)):
        raise ValueError(f"{where}: display_name {problem}")
    metadata = entry.get("metadata", {})
    if problem := metadata_problem(metadata, allow_null_values=False):
        raise ValueError(f"{where}: metadata {problem}")
    branding = entry.get("branding")
    if branding is not None and not isinstance(branding, dict):
        raise ValueError(f"{where}: branding must be an object")
    return Organization(org_id, name, display_name, branding, dict(metadata), created_at)


def _members(
    entry: Mapping[str, Any], where: str, tenant: Tenant, role_lookup: Mapping[str, str]
) -> list[tuple[str, list[str]]]:
    members = entry.get("members", [])
    if not isinstance(members, list):
        raise ValueError(f"{where}: members must be a list of {{'user_id', 'roles'}} objects")
    seen: set[str] = set()
    loaded: list[tuple[str, list[str]]] = []
    for index, member in enumerate(members):
        at = f"{where}.members[{index}]"
        if not isinstance(member, Mapping):
            raise ValueError(f"{at} must be an object with user_id and roles")
        if not _MEMBER_KEYS.issuperset(member):
            unknown = sorted(set(member) - _MEMBER_KEYS)[0]
            raise ValueError(f"{at}: unknown key {unknown!r} (known: roles, user_id)")
        user_id = member.get("user_id")
        if not isinstance(user_id, str) or user_id not in tenant.users:
            raise ValueError(f"{at}: unknown user {user_id!r}; members must be in auth0.users")
        if user_id in seen:
            raise ValueError(f"{at}: {user_id} is listed twice")
        seen.add(user_id)
        roles = member.get("roles", [])
        if not isinstance(roles, list):
            raise ValueError(f"{at} ({user_id}): roles must be a list of role ids or names")
        role_ids: list[str] = []
        for role in roles:
            role_id = role_lookup.get(role) if isinstance(role, str) else None
            if role_id is None:
                raise ValueError(f"{at} ({user_id}): unknown role {role!r}; use auth0.roles")
            if role_id not in role_ids:
                role_ids.append(role_id)
        if len(role_ids) > MAX_ROLES_PER_MEMBER:
            raise ValueError(
                f"{at} ({user_id}): at most {MAX_ROLES_PER_MEMBER} roles per organization member"
            )
        loaded.append((user_id, role_ids))
    return loaded


def load_organizations(
    entries: Sequence[Any], tenant: Tenant, role_lookup: Mapping[str, str]
) -> None:
    """Add the seed's organizations and memberships to ``tenant`` (users and roles loaded)."""
    organizations = tenant.organizations
    now = tenant.clock.now()
    for index, entry in enumerate(entries):
        where = f"auth0.organizations[{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be an object")
        organization = _organization(entry, where, now)
        where = f"{where} ({organization.name})"
        if organizations.get(organization.id) is not None:
            raise ValueError(f"{where}: duplicate organization id {organization.id}")
        if organizations.by_name(organization.name) is not None:
            raise ValueError(f"{where}: duplicate organization name")
        members = _members(entry, where, tenant, role_lookup)
        organizations.add(organization)
        for user_id, role_ids in members:
            organizations.add_member(organization.id, user_id)
            organizations.assign_roles(organization.id, user_id, role_ids)
