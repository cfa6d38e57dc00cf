"""The in-memory Okta org: users, groups, memberships, IdPs and IdP links, credentials.

Indexes keep the hot paths cheap at 100,000 users: logins are looked up through a dict
keyed by the normalized login, and every group keeps its member ids in a sorted list so a
page of members is a bisect and a slice. Handlers run on one event loop and never await
while they change the org, so no lock is needed.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from spokesync.emulators.okta.formats import (
    GROUP_PREFIX,
    USER_PREFIX,
    USER_TYPE_PREFIX,
    login_key,
    new_id,
)
from spokesync.emulators.okta.oidc_state import OidcProvider
from spokesync.emulators.okta.system_log import SystemLog

Clock = Callable[[], float]

USER_STATUSES = frozenset(
    {
        "ACTIVE",
        "DEPROVISIONED",
        "LOCKED_OUT",
        "PASSWORD_EXPIRED",
        "PROVISIONED",
        "RECOVERY",
        "STAGED",
        "SUSPENDED",
    }
)
GROUP_TYPES = frozenset({"OKTA_GROUP", "APP_GROUP", "BUILT_IN"})

#: the id of the default user type every user gets (Okta: ``oty`` + 17)
DEFAULT_USER_TYPE = "oty1defaultusertype0"
#: the id of the org's default realm, which every user is in (Okta: ``guo`` + 17); users
#: recorded from 2025-12 on carry it as ``realmId`` (okta/terraform/users-update-credentials
#: .json #0; Okta terraform fact 3)
DEFAULT_REALM = "guo1defaultrealm0000"

#: the emails a real org would send, counted in ``GET /_emulator/stats`` under ``"emails"``:
#: activation links (to the user), password reset links (to the user), deactivation notices
#: (to the admin)
EMAIL_KINDS = ("activation", "password_reset", "deactivation")
#: providers whose users sign in only through an IdP: no password, no activation link
IDP_PROVIDERS = frozenset({"FEDERATION", "SOCIAL"})


@dataclass(slots=True)
class UserRecord:
    """One Okta user; timestamps are epoch seconds, rendered on the way out."""

    id: str
    status: str
    created: float
    activated: float | None
    status_changed: float | None
    last_updated: float
    password_changed: float | None
    profile: dict[str, Any]
    has_password: bool = False
    provider_type: str = "OKTA"
    provider_name: str = "OKTA"
    #: the recovery question (never its answer)
    recovery_question: str | None = None
    #: the user type (``type.id``)
    type_id: str = DEFAULT_USER_TYPE
    #: the realm (``realmId``)
    realm_id: str = DEFAULT_REALM

    @property
    def federated(self) -> bool:
        """Signs in only through an IdP (FEDERATION or SOCIAL provider): Okta mails no link."""
        return self.provider_type in IDP_PROVIDERS

    @property
    def can_sign_in_at_once(self) -> bool:
        """Activation ends in ACTIVE (not PROVISIONED) for users with a password or an IdP."""
        return self.has_password or self.federated


@dataclass(slots=True)
class UserTypeRecord:
    """A user type (``GET /api/v1/meta/types/user``); every org has the default one."""

    id: str
    name: str
    display_name: str
    description: str | None
    default: bool
    created: float


@dataclass(slots=True)
class GroupRecord:
    id: str
    name: str
    description: str | None
    type: str
    created: float
    last_updated: float
    last_membership_updated: float


@dataclass(slots=True)
class IdpRecord:
    id: str
    name: str
    type: str
    created: float


@dataclass(slots=True)
class IdpLink:
    idp_id: str
    user_id: str
    external_id: str
    created: float
    last_updated: float


@dataclass(slots=True)
class OAuthClient:
    """A service app allowed to mint access tokens with ``private_key_jwt``."""

    client_id: str
    #: PEM public keys or JWK dicts; never rendered
    keys: list[Any] = field(repr=False)
    scopes: frozenset[str]


@dataclass(slots=True)
class IssuedToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


class Org:
    """All state of one emulated org, with the indexes that keep lookups cheap."""

    def __init__(self, clock: Clock, rng: random.Random | None = None) -> None:
        self.clock = clock
        self.rng = rng or random.Random()
        self.users: dict[str, UserRecord] = {}
        #: every user id, sorted: the order of ``GET /users`` and of the Everyone group
        self.user_ids: list[str] = []
        self.logins: dict[str, str] = {}
        self.groups: dict[str, GroupRecord] = {}
        self.group_ids: list[str] = []
        self.group_names: dict[str, str] = {}
        #: group id -> sorted member ids (the Everyone group aliases ``user_ids``)
        self.members: dict[str, list[str]] = {}
        #: user id -> ids of the groups it is in, except Everyone (absent when none)
        self.user_groups: dict[str, set[str]] = {}
        self.idps: dict[str, IdpRecord] = {}
        self.user_types: dict[str, UserTypeRecord] = {
            DEFAULT_USER_TYPE: UserTypeRecord(
                DEFAULT_USER_TYPE,
                "user",
                "User",
                "Okta user profile template with default permission settings",
                True,
                clock(),
            )
        }
        #: user type id -> its custom profile attributes (name -> schema definition)
        self.custom_attributes: dict[str, dict[str, dict[str, Any]]] = {}
        #: user type id -> when its schema last changed (epoch seconds)
        self.schema_updated: dict[str, float] = {}
        #: emails a real org would have sent (the stats reset zeroes it: ``Control.tally``)
        self.emails: Counter[str] = Counter(dict.fromkeys(EMAIL_KINDS, 0))
        self.idp_links: dict[str, dict[str, IdpLink]] = {}
        self.idp_external_ids: dict[str, dict[str, str]] = {}
        self.api_tokens: frozenset[str] = frozenset()
        self.oauth_clients: dict[str, OAuthClient] = {}
        self.access_tokens: dict[str, IssuedToken] = {}
        #: client assertion ``jti`` values already used, with their expiry
        self.used_assertions: dict[str, float] = {}
        #: the org authorization server as an OpenID provider: web apps, passwords, codes
        self.oidc = OidcProvider(clock)
        self.system_log = SystemLog(clock)
        now = clock()
        everyone = GroupRecord(
            new_id(self.rng, GROUP_PREFIX),
            "Everyone",
            "All users in your organization",
            "BUILT_IN",
            now,
            now,
            now,
        )
        self.everyone_id = everyone.id
        self._add_group_record(everyone)
        self.members[everyone.id] = self.user_ids

    def __repr__(self) -> str:
        return f"Org(users={len(self.users)}, groups={len(self.groups)})"

    # users -------------------------------------------------------------------------

    def new_user_id(self) -> str:
        while True:
            candidate = new_id(self.rng, USER_PREFIX)
            if candidate not in self.users:
                return candidate

    def user_by_login(self, login: str) -> UserRecord | None:
        user_id = self.logins.get(login_key(login))
        return self.users[user_id] if user_id is not None else None

    def login_owner(self, login: str) -> str | None:
        return self.logins.get(login_key(login))

    def add_user(self, user: UserRecord, group_ids: Iterable[str] = ()) -> None:
        """Store a new user and put it in ``group_ids`` (besides Everyone) in one step."""
        self.users[user.id] = user
        bisect.insort(self.user_ids, user.id)
        self.logins[login_key(str(user.profile["login"]))] = user.id
        for group_id in group_ids:
            self.add_member(group_id, user.id)

    def change_login(self, user: UserRecord, new_login: str) -> None:
        old_key = login_key(str(user.profile["login"]))
        if self.logins.get(old_key) == user.id:
            del self.logins[old_key]
        self.logins[login_key(new_login)] = user.id

    def delete_user(self, user_id: str) -> None:
        """Remove a user for good, with its memberships and IdP links."""
        user = self.users.pop(user_id)
        self.logins.pop(login_key(str(user.profile["login"])), None)
        index = bisect.bisect_left(self.user_ids, user_id)
        del self.user_ids[index]
        for group_id in self.user_groups.pop(user_id, set()):
            self._remove_from_member_list(group_id, user_id)
        for idp_id, links in self.idp_links.items():
            link = links.pop(user_id, None)
            if link is not None:
                self.idp_external_ids[idp_id].pop(link.external_id, None)

    def new_user_type_id(self) -> str:
        while True:
            candidate = new_id(self.rng, USER_TYPE_PREFIX)
            if candidate not in self.user_types:
                return candidate

    # groups ------------------------------------------------------------------------

    def new_group_id(self) -> str:
        while True:
            candidate = new_id(self.rng, GROUP_PREFIX)
            if candidate not in self.groups:
                return candidate

    def add_group(self, group: GroupRecord) -> None:
        self._add_group_record(group)
        self.members[group.id] = []

    def _add_group_record(self, group: GroupRecord) -> None:
        self.groups[group.id] = group
        bisect.insort(self.group_ids, group.id)
        self.group_names[group.name.casefold()] = group.id

    def rename_group(self, group: GroupRecord, name: str) -> None:
        self.group_names.pop(group.name.casefold(), None)
        group.name = name
        self.group_names[name.casefold()] = group.id

    def delete_group(self, group_id: str) -> None:
        group = self.groups.pop(group_id)
        self.group_names.pop(group.name.casefold(), None)
        del self.group_ids[bisect.bisect_left(self.group_ids, group_id)]
        for user_id in self.members.pop(group_id):
            self.user_groups[user_id].discard(group_id)

    def is_member(self, group_id: str, user_id: str) -> bool:
        if group_id == self.everyone_id:
            return user_id in self.users
        return group_id in self.user_groups.get(user_id, ())

    def add_member(self, group_id: str, user_id: str) -> bool:
        """Add a membership; False if it already existed."""
        if self.is_member(group_id, user_id):
            return False
        bisect.insort(self.members[group_id], user_id)
        self.user_groups.setdefault(user_id, set()).add(group_id)
        self.groups[group_id].last_membership_updated = self.clock()
        return True

    def remove_member(self, group_id: str, user_id: str) -> bool:
        """Remove a membership; False if there was none."""
        if not self.is_member(group_id, user_id):
            return False
        self._remove_from_member_list(group_id, user_id)
        self.user_groups[user_id].discard(group_id)
        return True

    def _remove_from_member_list(self, group_id: str, user_id: str) -> None:
        members = self.members[group_id]
        index = bisect.bisect_left(members, user_id)
        if index < len(members) and members[index] == user_id:
            del members[index]
            self.groups[group_id].last_membership_updated = self.clock()

    def groups_of(self, user_id: str) -> list[str]:
        """The user's group ids, Everyone included, sorted."""
        return sorted({self.everyone_id, *self.user_groups.get(user_id, ())})

    # idp links ---------------------------------------------------------------------

    def link(self, idp_id: str, user_id: str, external_id: str) -> IdpLink:
        now = self.clock()
        link = IdpLink(idp_id, user_id, external_id, now, now)
        self.idp_links.setdefault(idp_id, {})[user_id] = link
        self.idp_external_ids.setdefault(idp_id, {})[external_id] = user_id
        return link

    def unlink(self, idp_id: str, user_id: str) -> bool:
        link = self.idp_links.get(idp_id, {}).pop(user_id, None)
        if link is None:
            return False
        self.idp_external_ids[idp_id].pop(link.external_id, None)
        return True

    def idps_of(self, user_id: str) -> Iterator[IdpRecord]:
        for idp_id, links in self.idp_links.items():
            if user_id in links:
                yield self.idps[idp_id]
