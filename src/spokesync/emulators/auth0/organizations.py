"""The tenant's organizations, their members and the roles members hold in each organization.

Organizations answer in ``id`` order and members in ``user_id`` order: each is kept as a sorted
list beside its dict, so a checkpoint page is a bisect and a slice. The recordings show
organizations in ascending ``id`` order (organizations-list-checkpoint.json #3, #4); the order of
members there follows no key an emulator can see (organization-members-checkpoint.json #5, #6),
so ``user_id`` order is assumed. A member's roles keep the order they were assigned in.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from typing import Any

#: role assignments per organization member (Auth0 entity limit policy, "Organizations")
MAX_ROLES_PER_MEMBER = 50

Metadata = dict[str, str]

#: OAS ``Organization.id``: format organization-id, at most 50 characters
ID_PATTERN = re.compile(r"^org_[A-Za-z0-9]{1,46}$")
#: OAS ``Organization.name`` (format organization-name, 1..50): Auth0 documents lower-case
#: letters, digits, ``-`` and ``_`` (assumed: starting with a letter or digit)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_DISPLAY_NAME = 255
#: OAS ``OrganizationMetadata``: at most 25 keys, string values of at most 255 characters
MAX_METADATA_KEYS = 25
MAX_METADATA_VALUE = 255


def name_problem(value: object) -> str | None:
    """Why ``value`` cannot be an organization name, or None."""
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        return (
            "must be 1 to 50 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return None


def display_name_problem(value: object) -> str | None:
    """Why ``value`` cannot be a display name, or None."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_DISPLAY_NAME:
        return f"must be a string of 1 to {MAX_DISPLAY_NAME} characters"
    return None


def metadata_problem(value: object, *, allow_null_values: bool) -> str | None:
    """Why ``value`` cannot be organization metadata, or None (a PATCH may send nulls)."""
    if not isinstance(value, dict):
        return "must be an object of string values"
    if len(value) > MAX_METADATA_KEYS:
        return f"may have at most {MAX_METADATA_KEYS} keys"
    for key, item in value.items():
        if item is None and allow_null_values:
            continue
        if not isinstance(item, str) or len(item) > MAX_METADATA_VALUE:
            return f"key {key!r} must be a string of at most {MAX_METADATA_VALUE} characters"
    return None


@dataclass
class Organization:
    """One organization; ``display_name``, ``branding`` and ``metadata`` are omitted when unset."""

    id: str
    name: str
    display_name: str | None = None
    branding: dict[str, Any] | None = None
    metadata: Metadata = field(default_factory=dict)
    created_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The answer's key order: ``id, name, display_name, branding`` (organizations-read.json
        #1), then ``metadata`` when it has keys (no recording shows it: assumed)."""
        body: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.display_name is not None:
            body["display_name"] = self.display_name
        if self.branding is not None:
            body["branding"] = self.branding
        if self.metadata:
            body["metadata"] = dict(self.metadata)
        return body


@dataclass
class _Members:
    """The members of one organization: user id -> role ids, and the user ids sorted."""

    roles: dict[str, list[str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)


class Organizations:
    """Every organization of a tenant and every membership, indexed both ways."""

    def __init__(self) -> None:
        self._by_id: dict[str, Organization] = {}
        self._ids: list[str] = []
        self._members: dict[str, _Members] = {}
        #: user id -> the ids of the organizations it is a member of
        self._of_user: dict[str, set[str]] = {}

    # organizations -----------------------------------------------------------------------

    def add(self, organization: Organization) -> None:
        self._by_id[organization.id] = organization
        insort(self._ids, organization.id)
        self._members[organization.id] = _Members()

    def get(self, organization_id: str) -> Organization | None:
        return self._by_id.get(organization_id)

    def by_name(self, name: str) -> Organization | None:
        return next((org for org in self._by_id.values() if org.name == name), None)

    def delete(self, organization_id: str) -> bool:
        """Remove an organization and its memberships (its users stay); False when absent."""
        if self._by_id.pop(organization_id, None) is None:
            return False
        del self._ids[bisect_left(self._ids, organization_id)]
        for user_id in self._members.pop(organization_id).order:
            self._of_user.get(user_id, set()).discard(organization_id)
        return True

    def all(self) -> list[Organization]:
        """Every organization in ``id`` order."""
        return [self._by_id[org_id] for org_id in self._ids]

    def after(self, organization_id: str | None, count: int) -> tuple[list[Organization], bool]:
        """Up to ``count`` organizations whose id sorts after ``organization_id``, and whether
        more follow."""
        start = 0 if organization_id is None else bisect_right(self._ids, organization_id)
        chosen = self._ids[start : start + count]
        return [self._by_id[org_id] for org_id in chosen], start + count < len(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    # members -----------------------------------------------------------------------------

    def add_member(self, organization_id: str, user_id: str) -> bool:
        """Make ``user_id`` a member; False (and no change) when it already is one."""
        members = self._members[organization_id]
        if user_id in members.roles:
            return False
        members.roles[user_id] = []
        insort(members.order, user_id)
        self._of_user.setdefault(user_id, set()).add(organization_id)
        return True

    def remove_member(self, organization_id: str, user_id: str) -> bool:
        """End a membership and the roles held in it; False when there was none."""
        members = self._members[organization_id]
        if members.roles.pop(user_id, None) is None:
            return False
        del members.order[bisect_left(members.order, user_id)]
        self._of_user.get(user_id, set()).discard(organization_id)
        return True

    def is_member(self, organization_id: str, user_id: str) -> bool:
        return user_id in self._members[organization_id].roles

    def member_count(self, organization_id: str) -> int:
        return len(self._members[organization_id].order)

    def members_slice(self, organization_id: str, start: int, count: int) -> list[str]:
        """Member ids ``start .. start+count`` in ``user_id`` order (offset paging)."""
        return self._members[organization_id].order[start : start + count]

    def members_after(self, organization_id: str, user_id: str | None, count: int) -> list[str]:
        """Up to ``count`` member ids sorting after ``user_id`` (checkpoint paging)."""
        order = self._members[organization_id].order
        start = 0 if user_id is None else bisect_right(order, user_id)
        return order[start : start + count]

    def organizations_of(self, user_id: str) -> list[Organization]:
        """The organizations ``user_id`` is a member of, in ``id`` order."""
        return [self._by_id[org_id] for org_id in sorted(self._of_user.get(user_id, ()))]

    def forget_user(self, user_id: str) -> None:
        """End every membership of a deleted user."""
        for organization_id in list(self._of_user.pop(user_id, ())):
            self.remove_member(organization_id, user_id)

    # member roles ------------------------------------------------------------------------

    def member_roles(self, organization_id: str, user_id: str) -> list[str]:
        """The role ids ``user_id`` holds in the organization, in assignment order."""
        return list(self._members[organization_id].roles.get(user_id, []))

    def assign_roles(self, organization_id: str, user_id: str, role_ids: list[str]) -> bool:
        """Give a member roles; False (and no change) when that would pass
        :data:`MAX_ROLES_PER_MEMBER`. Roles already held are kept once."""
        held = self._members[organization_id].roles[user_id]
        new = [role_id for role_id in dict.fromkeys(role_ids) if role_id not in held]
        if len(held) + len(new) > MAX_ROLES_PER_MEMBER:
            return False
        held.extend(new)
        return True

    def unassign_roles(self, organization_id: str, user_id: str, role_ids: list[str]) -> None:
        members = self._members[organization_id].roles
        if user_id in members:
            gone = set(role_ids)
            members[user_id] = [role_id for role_id in members[user_id] if role_id not in gone]

    def forget_role(self, role_id: str) -> None:
        """Take a deleted role from every member holding it."""
        for members in self._members.values():
            for user_id, held in members.roles.items():
                if role_id in held:
                    members.roles[user_id] = [r for r in held if r != role_id]
