"""The in-memory tenant: users, roles, role members, organizations and the database connection.

Users are stored as the JSON documents the API returns and are never mutated in place:
a change replaces the document, so a reference held elsewhere (an export job) is a snapshot.
Each role keeps its members as a list sorted by ``user_id``, so a page is a bisect and a slice.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spokesync.emulators.auth0 import ids
from spokesync.emulators.auth0.clock import Clock
from spokesync.emulators.auth0.organizations import Organizations

UserDoc = dict[str, Any]

DEFAULT_CONNECTION = "Username-Password-Authentication"


@dataclass
class Role:
    """An Auth0 role; ``description`` is omitted from answers when absent."""

    id: str
    name: str
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.description is not None:
            body["description"] = self.description
        return body


@dataclass(frozen=True)
class Connection:
    """The tenant's single database connection."""

    id: str
    name: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "strategy": "auth0",
            "realms": [self.name],
            "is_domain_connection": False,
            "options": {},
        }


class Tenant:
    """Everything one emulated Auth0 tenant knows."""

    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self.clock = clock
        self.connection = Connection(ids.connection_id(), DEFAULT_CONNECTION)
        self.users: dict[str, UserDoc] = {}
        self.roles: dict[str, Role] = {}
        self._members: dict[str, list[str]] = {}
        self._user_roles: dict[str, dict[str, None]] = {}
        self._by_email: dict[str, list[str]] = {}
        self.organizations = Organizations()
        #: seconds before a created or changed user shows in search: the index is eventually
        #: consistent (reference §5); 0 = at once. Tests set it and move ``clock``.
        self.search_index_delay = 0.0
        #: user id -> (when the current document shows in search, what search shows until then)
        self._unindexed: dict[str, tuple[float, UserDoc | None]] = {}

    # users -------------------------------------------------------------------------------

    def put_user(self, doc: UserDoc) -> None:
        """Insert or replace a user document, keeping the email index current."""
        user_id = doc["user_id"]
        old = self.users.get(user_id)
        if old is not None:
            self._unindex_email(old)
        if self.search_index_delay > 0:
            pending = self._unindexed.get(user_id)
            shown = pending[1] if pending and self.clock.now() < pending[0] else old
            self._unindexed[user_id] = (self.clock.now() + self.search_index_delay, shown)
        self.users[user_id] = doc
        self._user_roles.setdefault(user_id, {})
        email = doc.get("email")
        if isinstance(email, str):
            self._by_email.setdefault(email.lower(), []).append(user_id)

    def _unindex_email(self, doc: UserDoc) -> None:
        email = doc.get("email")
        if isinstance(email, str):
            holders = self._by_email.get(email.lower(), [])
            if doc["user_id"] in holders:
                holders.remove(doc["user_id"])
            if not holders:
                self._by_email.pop(email.lower(), None)

    def delete_user(self, user_id: str) -> bool:
        """Remove a user and its role assignments; False when it was already gone."""
        doc = self.users.pop(user_id, None)
        if doc is None:
            return False
        self._unindexed.pop(user_id, None)
        self._unindex_email(doc)
        for role_id in self._user_roles.pop(user_id, {}):
            self._remove_member(role_id, user_id)
        self.organizations.forget_user(user_id)
        return True

    def searchable_users(self) -> list[UserDoc]:
        """The users as the search index holds them: a document created or changed less than
        ``search_index_delay`` ago shows as it was before (or not at all, when new)."""
        if not self._unindexed:
            return list(self.users.values())
        now = self.clock.now()
        shown: list[UserDoc] = []
        for user_id, doc in self.users.items():
            pending = self._unindexed.get(user_id)
            if pending is None or now >= pending[0]:
                shown.append(doc)
            elif pending[1] is not None:
                shown.append(pending[1])
        return shown

    def users_by_email(self, email: str) -> list[UserDoc]:
        """Users whose email equals ``email`` ignoring case."""
        return [self.users[uid] for uid in self._by_email.get(email.lower(), [])]

    # roles -------------------------------------------------------------------------------

    def add_role(self, role: Role) -> None:
        self.roles[role.id] = role
        self._members.setdefault(role.id, [])

    def delete_role(self, role_id: str) -> bool:
        if self.roles.pop(role_id, None) is None:
            return False
        for user_id in self._members.pop(role_id, []):
            self._user_roles.get(user_id, {}).pop(role_id, None)
        self.organizations.forget_role(role_id)
        return True

    def role_by_name(self, name: str) -> Role | None:
        return next((role for role in self.roles.values() if role.name == name), None)

    # memberships -------------------------------------------------------------------------

    def assign(self, role_id: str, user_id: str) -> None:
        """Give ``user_id`` the role; assigning twice changes nothing."""
        held = self._user_roles.setdefault(user_id, {})
        if role_id in held:
            return
        held[role_id] = None
        insort(self._members[role_id], user_id)

    def load_members(self, role_id: str, user_ids: Iterable[str]) -> None:
        """Bulk assignment for seeding: one sort instead of many inserts."""
        members = self._members[role_id]
        for user_id in user_ids:
            held = self._user_roles.setdefault(user_id, {})
            if role_id not in held:
                held[role_id] = None
                members.append(user_id)
        members.sort()

    def unassign(self, role_id: str, user_id: str) -> None:
        held = self._user_roles.get(user_id, {})
        if role_id in held:
            del held[role_id]
            self._remove_member(role_id, user_id)

    def _remove_member(self, role_id: str, user_id: str) -> None:
        members = self._members.get(role_id, [])
        index = bisect_left(members, user_id)
        if index < len(members) and members[index] == user_id:
            del members[index]

    def roles_of(self, user_id: str) -> list[Role]:
        return [self.roles[rid] for rid in self._user_roles.get(user_id, {})]

    def member_count(self, role_id: str) -> int:
        return len(self._members[role_id])

    def members_slice(self, role_id: str, start: int, count: int) -> list[UserDoc]:
        """Members ``start .. start+count`` in ``user_id`` order (offset paging)."""
        return [self.users[uid] for uid in self._members[role_id][start : start + count]]

    def members_after(
        self, role_id: str, after: str | None, count: int
    ) -> tuple[list[UserDoc], bool]:
        """Up to ``count`` members whose id sorts after ``after``, and whether more follow."""
        members = self._members[role_id]
        start = 0 if after is None else bisect_right(members, after)
        chosen = members[start : start + count]
        return [self.users[uid] for uid in chosen], start + count < len(members)
