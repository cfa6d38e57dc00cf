"""Plain data shared by the planner, the engine, the store and the reports.

Nothing here does I/O. Every type is immutable so the planner can stay a pure function
of its inputs, and so that views built by ``observe`` can be handed around freely.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

#: ``"<source name>:<auth0 user_id>"``, e.g. ``"apac:auth0|64107988d3"``.
IdentityKey = str
#: The empty metadata mapping that users without metadata share (read-only: it is shared).
NO_METADATA: Mapping[str, Any] = MappingProxyType({})


def identity_key(source: str, user_id: str) -> IdentityKey:
    """The stable key of an identity: its source name and Auth0 ``user_id``.

    Interned: the views, the links and the plan each index every identity by it.
    """
    return sys.intern(f"{source}:{user_id}")


def split_identity_key(key: IdentityKey) -> tuple[str, str]:
    """Inverse of :func:`identity_key` (Auth0 ids may contain ``:``, source names may not)."""
    source, _, user_id = key.partition(":")
    return source, user_id


#: longer strings are unlikely to repeat and are left alone by :func:`shared_string`
_SHARED_MAX = 200


def shared_string(value: str) -> str:
    """``value`` as the one string object that every equal (short) value shares.

    The same login, email and names appear in the cached Auth0 profile, the link and the
    Okta profile of every identity; sharing one string object each keeps a 100,000-identity
    run's memory down.
    """
    return sys.intern(value) if len(value) <= _SHARED_MAX else value


def shared_strings(values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose string keys and values are shared (see :func:`shared_string`)."""
    return {sys.intern(k): shared_string(v) if isinstance(v, str) else v for k, v in values.items()}


def login_key(login: str) -> str:
    """Okta's notion of login equality: ignoring case and diacritical marks."""
    if login.isascii():  # no diacritics to drop: the common case, without a per-character pass
        lowered = login.lower()
        # An already lower-case login is its own key: no second copy of every login is kept.
        return login if lowered == login else lowered
    decomposed = unicodedata.normalize("NFKD", login)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class Situation(StrEnum):
    """What the engine finds for an identity (the word comes from midPoint)."""

    UNMATCHED = "unmatched"
    UNLINKED = "unlinked"
    LINKED = "linked"
    GONE = "gone"
    DISPUTED = "disputed"


class ActionKind(StrEnum):
    """One change to the target (Okta) or the source (Auth0)."""

    CREATE_USER = "create_user"
    LINK = "link"
    UPDATE_PROFILE = "update_profile"
    ADD_TO_GROUP = "add_to_group"
    REMOVE_FROM_GROUP = "remove_from_group"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    DELETE = "delete"
    UNLINK = "unlink"
    LINK_IDP = "link_idp"
    WRITE_BACK = "write_back"
    #: an Okta group for an organization of a template binding (``okta.groups.manage``)
    CREATE_GROUP = "create_group"
    #: the organization's display name changed: the group it was made for follows
    RENAME_GROUP = "rename_group"
    #: a group of the template's name made by someone else, used with ``adopt_groups``
    ADOPT_GROUP = "adopt_group"


#: Actions on groups, not on an identity: applied first, before the memberships they serve.
GROUP_ACTIONS = frozenset(
    {ActionKind.CREATE_GROUP, ActionKind.RENAME_GROUP, ActionKind.ADOPT_GROUP}
)
#: The same, as the journal and the audit name them (``action`` values).
GROUP_WORK = frozenset(kind.value for kind in GROUP_ACTIONS)
#: The id a group to be created has in a plan, until apply creates it (never an Okta id).
PLANNED_GROUP_PREFIX = "planned:"


def planned_group_id(source: str, organization_id: str, role_id: str = "") -> str:
    """The placeholder id of the group a plan creates for an organization (and role)."""
    return f"{PLANNED_GROUP_PREFIX}{source}:{organization_id}:{role_id}"


def group_action_key(source: str, organization_id: str) -> IdentityKey:
    """The key group actions are journaled and shown under: the organization in its source."""
    return f"{source}:{organization_id}"


#: Actions that take access away; the guard counts these.
DEPROVISIONING = frozenset(
    {ActionKind.REMOVE_FROM_GROUP, ActionKind.SUSPEND, ActionKind.DEACTIVATE, ActionKind.DELETE}
)


@dataclass(frozen=True, slots=True)
class SourceUser:
    """An Auth0 user as read from ``GET /api/v2/users/{id}`` (only what mapping may need)."""

    source: str
    user_id: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    nickname: str | None = None
    user_metadata: Mapping[str, Any] = field(default_factory=dict)
    app_metadata: Mapping[str, Any] = field(default_factory=dict)
    blocked: bool = False
    updated_at: str | None = None

    @property
    def key(self) -> IdentityKey:
        return identity_key(self.source, self.user_id)

    def flags_only(self) -> SourceUser:
        """The user with only what the planner reads beside a mapped result: the identity,
        ``blocked`` and ``email_verified`` (the rest is in the profile cache)."""
        return SourceUser(
            self.source, self.user_id, email_verified=self.email_verified, blocked=self.blocked
        )

    def as_dict(self) -> dict[str, Any]:
        """The user as the JSON-like mapping that mapping paths address (``user_metadata.x``)."""
        return {
            "user_id": self.user_id,
            "email": self.email,
            "email_verified": self.email_verified,
            "name": self.name,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "nickname": self.nickname,
            "user_metadata": self.user_metadata,
            "app_metadata": self.app_metadata,
            "blocked": self.blocked,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class TargetUser:
    """An Okta user as observed: id, lifecycle status and profile."""

    id: str
    status: str
    profile: Mapping[str, Any] = field(default_factory=dict)

    @property
    def login(self) -> str:
        return str(self.profile.get("login", ""))


@dataclass(frozen=True, slots=True)
class Binding:
    """One Auth0 role, organization, or organization role in one source, resolved to ids,
    bound to one Okta group.

    A role binding has ``role_id`` (a tenant role). An organization binding has
    ``organization_id``, and ``role_id`` names the organization role its members must hold
    ("" for every member). ``group_id`` may be a planned id (:func:`planned_group_id`) for a
    group the plan creates.
    """

    source: str
    role_id: str
    group_id: str
    role_name: str = ""
    group_name: str = ""
    on_leave: str = "remove_from_group"
    organization_id: str = ""
    organization_name: str = ""
    #: the organization was deleted in Auth0: its members leave the group, which is kept
    organization_gone: bool = False
    #: the position of its ``[[bindings]]`` entry (the first listed gives the organization
    #: context of a member of several)
    index: int = 0

    @property
    def member_key(self) -> tuple[str, str]:
        """The key of its members in :attr:`SourceView.members`."""
        if not self.organization_id:
            return (self.source, self.role_id)
        return (self.source, organization_member_key(self.organization_id, self.role_id))

    def scope(self) -> str:
        """What membership it stands for, in words: ``role Admin``, ``organization acme``."""
        if not self.organization_id:
            return f"role {self.role_name or self.role_id}"
        org = f"organization {self.organization_name or self.organization_id}"
        if self.role_id:
            return f"role {self.role_name or self.role_id} in {org}"
        return org


def organization_member_key(organization_id: str, role_id: str = "") -> str:
    """The second half of an organization binding's member key: ``org_1`` or ``org_1/rol_2``."""
    return f"{organization_id}/{role_id}" if role_id else organization_id


#: The exact description of a group spokesync creates for an organization (DESIGN.md contract).
GROUP_DESCRIPTION = "Managed by spokesync: organization {organization_id} of source {source}"


def group_description(source: str, organization_id: str) -> str:
    """The description a group made for ``organization_id`` of ``source`` carries."""
    return GROUP_DESCRIPTION.format(organization_id=organization_id, source=source)


class GroupStatus(StrEnum):
    """What observe found for the group an organization of a template binding needs."""

    #: recorded as ours and present in Okta (renamed when its name is not the template's)
    OURS = "ours"
    #: no such group yet: the plan creates it
    MISSING = "missing"
    #: a group of the template's name that spokesync did not create: reported, not used
    FOREIGN = "foreign"
    #: the same, with ``[policy] adopt_groups``: adopted, then used
    ADOPTABLE = "adoptable"
    #: made by an interrupted run of ours (its description and journal say so): taken over
    CLAIMABLE = "claimable"
    #: recorded as ours, but the organization was deleted in Auth0 (or no longer matches):
    #: its members leave, the group is kept
    GONE = "gone"
    #: the template gives a name Okta would refuse
    UNUSABLE = "unusable"


@dataclass(frozen=True, slots=True)
class GroupState:
    """The Okta group one organization (and role) of a template binding needs, as observed."""

    source: str
    organization_id: str
    organization_name: str
    #: the organization role the group is for; "" for all members
    role_id: str
    #: the name the template gives (for GONE: the group's name)
    name: str
    #: the Okta id, or a planned id (:func:`planned_group_id`) when it is to be created
    group_id: str
    status: GroupStatus
    #: its name in Okta now ("" when there is none)
    current_name: str = ""
    #: why it is reported (FOREIGN, GONE, UNUSABLE)
    detail: str = ""
    #: the interrupted create_group journal rows this state decides
    pending_ids: tuple[int, ...] = ()

    @property
    def key(self) -> IdentityKey:
        return group_action_key(self.source, self.organization_id)


@dataclass(frozen=True, slots=True)
class OrganizationGroup:
    """A group spokesync created or adopted for an organization (and role), as stored."""

    source: str
    organization_id: str
    role_id: str
    group_id: str
    origin: str = "created"  # "created" | "adopted"
    recorded_at: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    """The stored pairing of an identity with an Okta user.

    ``profile`` is the mapped profile last applied; ``managed_groups`` are the groups spokesync
    added (and so may remove); ``origin`` is ``"created"`` or ``"linked"``.
    """

    identity: IdentityKey
    okta_id: str
    login: str
    origin: str = "created"
    profile: Mapping[str, Any] = field(default_factory=dict)
    managed_groups: frozenset[str] = frozenset()
    created_at: str = ""
    #: lifecycle change spokesync made and must undo on rejoin: "", "suspended", "deactivated"
    deprovisioned: str = ""
    idp_linked: bool = False
    #: value last written to app_metadata in Auth0 ("" = never written)
    hub_status: str = ""
    source_blocked_by_us: bool = False

    @property
    def source(self) -> str:
        return split_identity_key(self.identity)[0]

    @property
    def user_id(self) -> str:
        return split_identity_key(self.identity)[1]


@dataclass(frozen=True, slots=True)
class SourceView:
    """What observe read from the sources.

    ``members`` maps ``(source, role_id)`` to the ``user_id`` s holding the role.
    ``profiles`` holds the profiles of members (and linked identities) that are known.
    ``deleted`` holds identities that Auth0 answered 404 for.
    """

    members: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    profiles: Mapping[IdentityKey, SourceUser] = field(default_factory=dict)
    deleted: frozenset[IdentityKey] = frozenset()


@dataclass(frozen=True, slots=True)
class TargetView:
    """What observe read from Okta: the users it saw, and the bound groups' members."""

    users: Mapping[str, TargetUser] = field(default_factory=dict)
    group_members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Okta ids that answered 404 (deleted by someone else)
    missing: frozenset[str] = frozenset()

    def by_login(self) -> dict[str, TargetUser]:
        """Users indexed by :func:`login_key` (Okta logins are unique without regard to case)."""
        return index_by_login(self.users.values())


def index_by_login(users: Iterable[TargetUser]) -> dict[str, TargetUser]:
    """``users`` indexed by :func:`login_key`; users without a login are left out."""
    return {login_key(u.login): u for u in users if u.login}


@dataclass(frozen=True, slots=True)
class Action:
    """One planned change, with why it is planned."""

    kind: ActionKind
    identity: IdentityKey
    situation: Situation
    reason: str
    okta_id: str | None = None
    group_id: str | None = None
    #: for create_user: the full profile; for update_profile: only the changed fields
    profile: Mapping[str, Any] | None = None
    #: for create_user: the groups that go in the create body
    group_ids: tuple[str, ...] = ()
    #: for update_profile and write_back: the fields' values before the change (audit)
    before: Mapping[str, Any] | None = None
    #: for write_back: the app_metadata patch; for create/link: the login
    detail: Mapping[str, Any] | None = None
    #: the unit of work: actions of one unit run in order; "" means the identity's own unit
    #: (identities of one person in several tenants share their primary identity's unit)
    unit: str = ""

    def describe(self) -> dict[str, Any]:
        """The action as the JSON object of the ``plan --json`` contract."""
        out: dict[str, Any] = {
            "action": self.kind.value,
            "identity": self.identity,
            "situation": self.situation.value,
            "reason": self.reason,
        }
        if self.okta_id:
            out["okta_id"] = self.okta_id
        if self.group_id:
            out["group_id"] = self.group_id
        if self.group_ids:
            out["group_ids"] = list(self.group_ids)
        if self.profile is not None:
            out["profile"] = dict(self.profile)
        if self.before is not None:
            out["before"] = dict(self.before)
        if self.detail is not None:
            out["detail"] = dict(self.detail)
        return out


@dataclass(frozen=True, slots=True)
class Notice:
    """An identity the plan reports but does not act on (skipped, disputed, refused by policy)."""

    identity: IdentityKey
    situation: Situation | None
    reason: str
    kind: str = "skipped"  # "skipped" | "disputed" | "reported"

    def describe(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "situation": self.situation.value if self.situation else None,
            "kind": self.kind,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Settled:
    """What a plan decided about an interrupted journal row: ``repaired`` (its change is in
    Okta and the plan takes it over) or ``interrupted`` (it is not, or it is not ours);
    ``okta_id`` names the Okta user an interrupted create made, once known."""

    status: str
    okta_id: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The ordered actions of one run, the identities reported without action, and the
    interrupted journal rows (by id) the plan has decided about: only those may be closed."""

    actions: tuple[Action, ...] = ()
    notices: tuple[Notice, ...] = ()
    settled: Mapping[int, Settled] = field(default_factory=dict)

    def by_unit(self) -> dict[str, list[Action]]:
        """Actions grouped per unit of work, in order (apply runs each unit in sequence)."""
        grouped: dict[str, list[Action]] = {}
        for action in self.actions:
            grouped.setdefault(action.unit or action.identity, []).append(action)
        return grouped

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for action in self.actions:
            out[action.kind.value] = out.get(action.kind.value, 0) + 1
        return out


@dataclass(frozen=True, slots=True)
class PendingAction:
    """A journaled action that started and never finished (the process died in between)."""

    id: int
    run_id: str
    identity: IdentityKey
    action: ActionKind
    okta_id: str | None
    login: str | None
    started_at: str
    #: for membership actions: the group (from the journal row's "before")
    group_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one planned action."""

    action: Action
    status: str  # "succeeded" | "failed" | "skipped"
    error: str | None = None
    okta_id: str | None = None
