"""What every part of the planner reads: its input, the plan being built, and the indexes and
phrases computed once per plan (desired groups, owners of Okta users, login clashes)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from spokesync.config import PolicyConfig
from spokesync.domain import (
    Action,
    ActionKind,
    Binding,
    GroupState,
    IdentityKey,
    Link,
    Notice,
    PendingAction,
    Settled,
    Situation,
    SourceUser,
    SourceView,
    TargetView,
    identity_key,
    login_key,
)
from spokesync.mapping import Mapped, MappingRule, Unmappable, map_user

_MEMBERSHIP = frozenset({ActionKind.ADD_TO_GROUP, ActionKind.REMOVE_FROM_GROUP})


@dataclass(frozen=True, slots=True)
class PlanInput:
    """Everything the planner looks at, gathered by observe."""

    bindings: tuple[Binding, ...]
    source: SourceView
    target: TargetView
    links: Mapping[IdentityKey, Link]
    rules: Mapping[str, MappingRule]
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    #: source name -> Okta IdP id to link provisioned users to
    idp_ids: Mapping[str, str] = field(default_factory=dict)
    pending: tuple[PendingAction, ...] = ()
    #: plan only these identities (``sync --user``); None plans everyone
    only: frozenset[IdentityKey] | None = None
    #: identity -> why it is quarantined (failed too many runs in a row): reported, not planned
    quarantined: Mapping[IdentityKey, str] = field(default_factory=dict)
    #: ``[identity] shared_across_sources``: one person in several tenants is one Okta user
    shared_across_sources: bool = False
    #: identity -> its profile mapped by ``rules``, where observe knows it already (from the
    #: profile cache); the planner maps the others itself
    mapped: Mapping[IdentityKey, Mapped] = field(default_factory=dict)
    #: source name -> how its new Okta users are created (``activation``); absent: "email"
    activations: Mapping[str, str] = field(default_factory=dict)
    #: source name -> the ``oty...`` id of the user type its new Okta users get
    user_types: Mapping[str, str] = field(default_factory=dict)
    #: the groups template bindings need, one per organization (and role), as observed
    groups: tuple[GroupState, ...] = ()
    #: identity -> why its ``organization.*`` paths read the organization they do (a member
    #: of several bound organizations)
    organization_notes: Mapping[IdentityKey, str] = field(default_factory=dict)


@dataclass
class Builder:
    """The plan being built: actions in the order they must be applied, notices, and the
    interrupted journal rows decided (``held``: identities whose rows must stay open)."""

    actions: list[Action] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    settled: dict[int, Settled] = field(default_factory=dict)
    held: set[IdentityKey] = field(default_factory=set)

    def act(
        self, kind: ActionKind, key: IdentityKey, situation: Situation, reason: str, **kw: object
    ) -> None:
        group = kw.get("group_id")
        if kind in _MEMBERSHIP and group is not None:
            # The audit row's "before" of a membership change; it also lets the next run
            # recognise a membership that an interrupted run added.
            member = kind is ActionKind.REMOVE_FROM_GROUP
            kw.setdefault("before", {"group_id": group, "member": member})
        self.actions.append(Action(kind, key, situation, reason, **kw))  # type: ignore[arg-type]

    def notice(self, key: IdentityKey, situation: Situation | None, reason: str, kind: str) -> None:
        self.notices.append(Notice(key, situation, reason, kind))

    def hold(self, key: IdentityKey) -> None:
        """Nothing was decided for ``key`` (a side could not be read, or it is disputed):
        its interrupted rows stay open for a run that can."""
        self.held.add(key)

    def settle(self, entry_id: int, status: str, okta_id: str | None = None) -> None:
        self.settled[entry_id] = Settled(status, okta_id)


def desired_groups(
    bindings: Iterable[Binding], source: SourceView
) -> dict[IdentityKey, frozenset[str]]:
    """identity -> the groups its roles put it in. Identities with the same groups share one
    frozenset: there are few distinct combinations and up to 100,000s of identities."""
    desired: dict[IdentityKey, frozenset[str]] = {}
    shared: dict[frozenset[str], frozenset[str]] = {}
    empty: frozenset[str] = frozenset()
    for binding in bindings:
        for user_id in source.members.get(binding.member_key, empty):
            key = identity_key(binding.source, user_id)
            groups = desired.get(key, empty) | {binding.group_id}
            desired[key] = shared.setdefault(groups, groups)
    return desired


def group_roles(bindings: Iterable[Binding]) -> dict[tuple[str, str], Binding]:
    """(source, group id) -> the binding that feeds it (for reasons and on_leave); where
    several feed one group, the first listed that is not of a deleted organization."""
    out: dict[tuple[str, str], Binding] = {}
    for b in bindings:
        held = out.get((b.source, b.group_id))
        if held is None or (held.organization_gone and not b.organization_gone):
            out[(b.source, b.group_id)] = b
    return out


class Context:
    """The plan's input with the indexes computed from it once."""

    def __init__(
        self,
        inp: PlanInput,
        desired: Mapping[IdentityKey, frozenset[str]],
        role_of: Mapping[tuple[str, str], Binding],
    ) -> None:
        self.inp = inp
        self.policy = inp.policy
        self.desired = desired
        self.role_of = role_of
        self.by_login = inp.target.by_login()
        self.shared = inp.shared_across_sources
        #: Okta id -> the identity linked to it; and, for the Okta users that several are
        #: linked to (only when sources share people), all of them, sorted
        self.owner: dict[str, IdentityKey] = {}
        self.shared_owners: dict[str, list[IdentityKey]] = {}
        for k in sorted(inp.links):
            okta_id = inp.links[k].okta_id
            first = self.owner.setdefault(okta_id, k)
            if first != k:
                self.shared_owners.setdefault(okta_id, [first]).append(k)
        #: identity -> its interrupted journal rows, oldest first
        self.pending_of: dict[IdentityKey, list[PendingAction]] = defaultdict(list)
        #: identity -> groups an interrupted run may have added it to
        self.pending_groups: dict[IdentityKey, set[str]] = defaultdict(set)
        for entry in inp.pending:
            self.pending_of[entry.identity].append(entry)
            if entry.action is ActionKind.ADD_TO_GROUP and entry.group_id:
                self.pending_groups[entry.identity].add(entry.group_id)
        self.members = inp.target.group_members
        self._mapping: dict[IdentityKey, Mapped] = {}
        self.clashes = self._login_clashes()

    def mapped(self, user: SourceUser) -> Mapped:
        """The user's mapped profile: as observe handed it over, or mapped here. The
        login-clash pass maps new identities first and keeps the result for their own turn
        (then lets it go, to keep memory flat)."""
        found = self.inp.mapped.get(user.key) or self._mapping.pop(user.key, None)
        return found if found is not None else map_user(user, self.inp.rules)

    def _login_clashes(self) -> dict[str, list[IdentityKey]]:
        """login key -> the unlinked in-scope identities that would use it, for the logins
        that several would (a first run holds 100,000s of logins: only clashes are kept)."""
        first: dict[str, IdentityKey] = {}
        out: dict[str, list[IdentityKey]] = {}
        for key in self.desired:
            if key in self.inp.links:
                continue
            user = self.inp.source.profiles.get(key)
            if user is None or user.blocked:
                continue
            if not user.email_verified and not self.policy.allow_unverified_email:
                continue
            mapped = self.inp.mapped.get(key)
            if mapped is None:
                mapped = self._mapping[key] = map_user(user, self.inp.rules)
            if isinstance(mapped, Unmappable):
                continue
            lkey = login_key(str(mapped.profile["login"]))
            other = first.setdefault(lkey, key)
            if other != key:
                out.setdefault(lkey, [other]).append(key)
        return out

    # -- memberships --------------------------------------------------------------------------

    def members_of_bound(self, okta_id: str) -> list[str]:
        """The bound groups this Okta user is a member of."""
        return [g for g, ids in self.members.items() if okta_id in ids]

    def leave_allowed(self, key: IdentityKey, group: str) -> bool:
        binding = self.role_of.get((key.split(":", 1)[0], group))
        return binding is None or binding.on_leave != "none"

    def ours(self, key: IdentityKey, link: Link) -> frozenset[str]:
        """Groups spokesync added: recorded ones, and any an interrupted run was adding."""
        return link.managed_groups | self.pending_groups.get(key, set())

    # -- shared identities --------------------------------------------------------------------

    def owners(self, okta_id: str) -> list[IdentityKey]:
        """The identities linked to an Okta user."""
        if okta_id in self.shared_owners:
            return self.shared_owners[okta_id]
        first = self.owner.get(okta_id)
        return [] if first is None else [first]

    def co_owners(self, key: IdentityKey, link: Link) -> list[IdentityKey]:
        """Other identities linked to the same Okta user (only with shared_across_sources)."""
        shared = self.shared_owners.get(link.okta_id)
        return [] if shared is None else [k for k in shared if k != key]

    def in_scope(self, key: IdentityKey) -> bool:
        user = self.inp.source.profiles.get(key)
        return (
            bool(self.desired.get(key))
            and key not in self.inp.source.deleted
            and user is not None
            and not user.blocked
        )

    # -- phrasing -----------------------------------------------------------------------------

    def role_phrase(self, source: str, group: str) -> str:
        binding = self.role_of.get((source, group))
        if binding is None:
            return f"belongs in group {group}"
        verb = "member of" if binding.organization_id and not binding.role_id else "holds"
        return (
            f"{verb} {binding.scope()} ({source}) -> group {binding.group_name or binding.group_id}"
        )

    def roles_phrase(self, source: str, groups: Iterable[str]) -> str:
        return "; ".join(self.role_phrase(source, g) for g in sorted(groups))
