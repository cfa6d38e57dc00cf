"""The pure planner: (bindings, source view, target view, links, policy) -> plan.

No I/O, no clock, no randomness: the same inputs give the same plan, which is what makes
``spokesync plan`` trustworthy and lets property tests drive it with arbitrary worlds.

Each identity is classified into a situation (unmatched, unlinked, linked, gone, disputed)
and gets the actions that bring Okta to what the config and policies say, in the order
they must be applied for that identity. Identities are independent of each other, so the
engine may apply different identities concurrently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from spokesync.config import PolicyConfig
from spokesync.domain import (
    Action,
    ActionKind,
    Binding,
    IdentityKey,
    Link,
    Notice,
    PendingAction,
    Plan,
    Situation,
    SourceUser,
    SourceView,
    TargetUser,
    TargetView,
    identity_key,
    login_key,
)
from spokesync.mapping import Mapped, MappingRule, Unmappable, map_user

#: Okta caps ``groupIds`` in a create body at 20; the rest are added one call each.
MAX_CREATE_GROUPS = 20
_INACTIVE = frozenset({"DEPROVISIONED", "SUSPENDED"})
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


@dataclass
class _Builder:
    actions: list[Action] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

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


def plan(inp: PlanInput) -> Plan:
    """Compute the plan. Deterministic: identities are visited in sorted order."""
    desired = _desired_groups(inp.bindings, inp.source)
    role_of = _group_roles(inp.bindings)
    interrupted = {p.identity for p in inp.pending if p.action is ActionKind.CREATE_USER}
    keys = sorted(set(desired) | set(inp.links) | interrupted)
    if inp.only is not None:
        keys = [k for k in keys if k in inp.only]
    ctx = _Context(inp, desired, role_of)
    out = _Builder()
    for key in keys:
        if key in inp.quarantined:
            out.notice(
                key,
                None,
                f"quarantined after repeated failures ({inp.quarantined[key]}); "
                "run `spokesync sync --retry-quarantined` once fixed",
                "quarantined",
            )
            continue
        link = inp.links.get(key)
        if link is None:
            ctx.plan_unlinked_identity(key, out)
        else:
            ctx.plan_linked_identity(key, link, out)
    return Plan(tuple(out.actions), tuple(out.notices))


def _desired_groups(
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


def _group_roles(bindings: Iterable[Binding]) -> dict[tuple[str, str], Binding]:
    """(source, group id) -> the binding that feeds it (for reasons and on_leave)."""
    return {(b.source, b.group_id): b for b in bindings}


class _Context:
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
        #: identity -> groups an interrupted run may have added it to
        self.pending_groups: dict[IdentityKey, set[str]] = defaultdict(set)
        for entry in inp.pending:
            if entry.action is ActionKind.ADD_TO_GROUP and entry.group_id:
                self.pending_groups[entry.identity].add(entry.group_id)
        self.pending_logins = {
            (p.identity, login_key(p.login)): p
            for p in inp.pending
            if p.action is ActionKind.CREATE_USER and p.login
        }
        self.members = inp.target.group_members
        self._mapping: dict[IdentityKey, Mapped] = {}
        self.clashes = self._login_clashes()

    def mapped(self, user: SourceUser) -> Mapped:
        """The user's mapped profile: as observe handed it over, or mapped here. The
        login-clash pass maps new identities first and keeps the result for their own turn
        (then lets it go, to keep memory flat)."""
        found = self.inp.mapped.get(user.key) or self._mapping.pop(user.key, None)
        return found if found is not None else map_user(user, self.inp.rules)

    # -- identities without a link ------------------------------------------------------------

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

    def plan_unlinked_identity(self, key: IdentityKey, out: _Builder) -> None:
        groups = self.desired.get(key)
        if not groups:
            self._orphaned_creates(key, out)
            return
        user = self.inp.source.profiles.get(key)
        if key in self.inp.source.deleted or user is None:
            out.notice(
                key, None, "the Auth0 profile could not be read; retried next run", "skipped"
            )
            return
        if user.blocked:
            out.notice(key, None, "blocked in Auth0; not provisioned until unblocked", "skipped")
            return
        mapped = self.mapped(user)
        if isinstance(mapped, Unmappable):
            out.notice(key, None, mapped.reason, "skipped")
            return
        if not user.email_verified and not self.policy.allow_unverified_email:
            out.notice(
                key,
                None,
                "email is not verified in Auth0; not provisioned "
                "(set [policy] allow_unverified_email = true to allow)",
                "skipped",
            )
            return
        profile = mapped.profile
        login = str(profile["login"])
        lkey = login_key(login)
        rivals = [k for k in self.clashes.get(lkey, ()) if k != key]
        existing = self.by_login.get(lkey)
        pending = self.pending_logins.get((key, lkey))
        if existing is not None and pending is not None:
            self._adopt(key, user, existing, profile, groups, out, pending)
            return
        if self.shared and rivals and _one_per_source([key, *rivals]):
            # One person in several tenants. With an Okta user already there, each identity
            # correlates to it on its own; otherwise the first identity creates it and the
            # others link to it in the same unit of work, right after.
            primary = min([key, *rivals])
            if existing is None and key != primary:
                self._join_primary(key, user.source, primary, login, profile, groups, out)
                return
            shares_with = primary if key != primary else None
            rivals = []
        else:
            shares_with = None
        if rivals:
            out.notice(
                key,
                Situation.DISPUTED,
                f"login {login} is also wanted by {', '.join(sorted(rivals))}; resolve in Auth0",
                "disputed",
            )
            return
        if existing is None:
            self._create(key, user, profile, groups, out)
            return
        owners = self.owners(existing.id)
        if owners and not (self.shared and not _same_source(key, owners)):
            out.notice(
                key,
                Situation.DISPUTED,
                f"Okta user {existing.id} with login {existing.login} is already linked to "
                f"{', '.join(owners)}",
                "disputed",
            )
            return
        if existing.status in _INACTIVE:
            state = "deactivated" if existing.status == "DEPROVISIONED" else "suspended"
            out.notice(
                key,
                Situation.UNLINKED,
                f"Okta user {existing.id} ({existing.login}) is {state}; spokesync does not "
                f"revive users it did not deprovision: reactivate or delete it in Okta",
                "reported",
            )
            return
        if self.policy.on_unlinked == "report":
            out.notice(
                key,
                Situation.UNLINKED,
                f"Okta user {existing.id} already has login {existing.login}; "
                "not linked (on_unlinked = report)",
                "reported",
            )
            return
        self._adopt(key, user, existing, profile, groups, out, None, shares_with=shares_with)

    def _orphaned_creates(self, key: IdentityKey, out: _Builder) -> None:
        """An interrupted run created an Okta user for an identity now out of scope: it is
        ours, so link it and take back the memberships its create body gave."""
        for (identity, lkey), entry in sorted(self.pending_logins.items()):
            existing = self.by_login.get(lkey)
            if identity != key or existing is None or existing.id in self.owner:
                continue
            granted = sorted(self.members_of_bound(existing.id))
            out.act(
                ActionKind.LINK,
                key,
                Situation.GONE,
                f"Okta user {existing.id} was created by run {entry.run_id}, which stopped "
                "before storing the link; the identity has left scope since",
                okta_id=existing.id,
                profile=dict(existing.profile),
                group_ids=tuple(granted),
                detail={"login": existing.login, "origin": "created"},
            )
            for group in (g for g in granted if self._leave_allowed(key, g)):
                out.act(
                    ActionKind.REMOVE_FROM_GROUP,
                    key,
                    Situation.GONE,
                    "no longer in scope; removing the membership the interrupted create gave",
                    okta_id=existing.id,
                    group_id=group,
                )
            return

    def members_of_bound(self, okta_id: str) -> list[str]:
        """The bound groups this Okta user is a member of."""
        return [g for g, ids in self.members.items() if okta_id in ids]

    def _leave_allowed(self, key: IdentityKey, group: str) -> bool:
        binding = self.role_of.get((key.split(":", 1)[0], group))
        return binding is None or binding.on_leave != "none"

    def _ours(self, key: IdentityKey, link: Link) -> frozenset[str]:
        """Groups spokesync added: recorded ones, and any an interrupted run was adding."""
        return link.managed_groups | self.pending_groups.get(key, set())

    def _join_primary(
        self,
        key: IdentityKey,
        source: str,
        primary: IdentityKey,
        login: str,
        profile: Mapping[str, object],
        groups: frozenset[str],
        out: _Builder,
    ) -> None:
        """Link a shared identity to the Okta user its primary creates in this run."""
        situation = Situation.UNMATCHED
        out.act(
            ActionKind.LINK,
            key,
            situation,
            f"the same person as {primary} (shared_across_sources): one Okta user for both",
            profile=profile,
            detail={"login": login, "origin": "shared", "same_as": primary},
            unit=primary,
        )
        for group in sorted(groups - self.desired.get(primary, frozenset())):
            out.act(
                ActionKind.ADD_TO_GROUP,
                key,
                situation,
                self._role_phrase(source, group),
                group_id=group,
                unit=primary,
            )

    def _create(
        self,
        key: IdentityKey,
        user: SourceUser,
        profile: Mapping[str, object],
        groups: frozenset[str],
        out: _Builder,
    ) -> None:
        ordered = sorted(groups)
        in_body = tuple(ordered[:MAX_CREATE_GROUPS])
        out.act(
            ActionKind.CREATE_USER,
            key,
            Situation.UNMATCHED,
            f"no Okta user has login {profile['login']}; {self._roles_phrase(user.source, groups)}",
            profile=profile,
            group_ids=in_body,
            detail={"login": profile["login"]},
        )
        for group in ordered[MAX_CREATE_GROUPS:]:
            out.act(
                ActionKind.ADD_TO_GROUP,
                key,
                Situation.UNMATCHED,
                f"{self._role_phrase(user.source, group)} (beyond the 20 groups of a create body)",
                group_id=group,
            )
        self._idp_link(key, user.source, None, False, Situation.UNMATCHED, out)

    def _adopt(
        self,
        key: IdentityKey,
        user: SourceUser,
        existing: TargetUser,
        profile: Mapping[str, object],
        groups: frozenset[str],
        out: _Builder,
        pending: PendingAction | None,
        *,
        shares_with: IdentityKey | None = None,
    ) -> None:
        """Link to an existing Okta user (correlation, or repair of an interrupted create).

        ``shares_with`` names the identity whose profile a shared Okta user follows.
        """
        if pending is not None:
            reason = (
                f"Okta user {existing.id} was created by run {pending.run_id}, which stopped "
                "before storing the link; linking it instead of creating a second user"
            )
            origin = "created"
        else:
            reason = (
                f"Okta user {existing.id} already has login {existing.login} (case-insensitive)"
            )
            origin = "linked"
        situation = Situation.UNLINKED
        # After an interrupted create, the memberships its body asked for are ours to manage.
        ours = tuple(
            sorted(g for g in groups if existing.id in self.members.get(g, frozenset()))
            if pending is not None
            else ()
        )
        out.act(
            ActionKind.LINK,
            key,
            situation,
            reason,
            okta_id=existing.id,
            profile=profile,
            group_ids=ours,
            detail={"login": existing.login, "origin": origin},
        )
        changed = _profile_changes(profile, existing.profile, keep_login_case=True)
        if changed and shares_with is None:
            out.act(
                ActionKind.UPDATE_PROFILE,
                key,
                situation,
                "profile differs from the mapped Auth0 profile: " + ", ".join(sorted(changed)),
                okta_id=existing.id,
                profile=changed,
                before={k: existing.profile.get(k) for k in changed},
            )
        for group in sorted(groups):
            if existing.id not in self.members.get(group, frozenset()):
                out.act(
                    ActionKind.ADD_TO_GROUP,
                    key,
                    situation,
                    self._role_phrase(user.source, group),
                    okta_id=existing.id,
                    group_id=group,
                )
        self._idp_link(key, user.source, existing.id, False, situation, out)

    # -- identities with a link ---------------------------------------------------------------

    def plan_linked_identity(self, key: IdentityKey, link: Link, out: _Builder) -> None:
        target = self.inp.target
        if link.okta_id in target.missing:
            out.act(
                ActionKind.UNLINK,
                key,
                Situation.GONE,
                f"Okta user {link.okta_id} was deleted outside spokesync; forgetting the link",
                okta_id=link.okta_id,
            )
            return
        okta_user = target.users.get(link.okta_id)
        if okta_user is None:
            out.notice(
                key, Situation.LINKED, f"Okta user {link.okta_id} could not be read", "skipped"
            )
            return
        user = self.inp.source.profiles.get(key)
        groups = self.desired.get(key, frozenset())
        deleted = key in self.inp.source.deleted
        if _decided_elsewhere(link, okta_user):
            self._hub_decided(key, link, okta_user, out, write_back=not deleted)
            for group in sorted(self._ours(key, link) - groups):
                self._leave_group(key, link, link.source, group, Situation.GONE, out)
            return
        if deleted or not groups:
            self._plan_gone(key, link, okta_user, user, deleted, out)
            return
        if user is None:
            out.notice(
                key,
                Situation.LINKED,
                "the Auth0 profile could not be read; retried next run",
                "skipped",
            )
            return
        if user.blocked:
            self._plan_blocked(key, link, okta_user, out)
            return
        self._plan_in_scope(key, link, okta_user, user, groups, out)

    def _plan_in_scope(
        self,
        key: IdentityKey,
        link: Link,
        okta_user: TargetUser,
        user: SourceUser,
        groups: frozenset[str],
        out: _Builder,
    ) -> None:
        situation = Situation.LINKED
        status = okta_user.status
        if link.deprovisioned == "suspended" and status == "SUSPENDED":
            out.act(
                ActionKind.UNSUSPEND,
                key,
                situation,
                "back in scope (unblocked or rejoined); undoing the suspension spokesync made",
                okta_id=link.okta_id,
            )
            status = "ACTIVE"
        elif link.deprovisioned == "deactivated" and status == "DEPROVISIONED":
            out.act(
                ActionKind.REACTIVATE,
                key,
                situation,
                "back in scope; undoing the deactivation spokesync made",
                okta_id=link.okta_id,
            )
            status = "PROVISIONED"
        if link.hub_status not in ("", "active"):
            self._write_back(key, link, "active", situation, out, restore=True)
        # A shared Okta user's profile follows its first identity, or two would flip-flop.
        sharers = [k for k in self._co_owners(key, link) if self._in_scope(k)]
        if key == min([key, *sharers]):
            mapped = self.mapped(user)
            if isinstance(mapped, Unmappable):
                out.notice(key, situation, f"profile not updated: {mapped.reason}", "skipped")
            elif not self._plan_profile(key, link, okta_user, mapped.profile, out):
                return
        interrupted = self.pending_groups.get(key, set())
        for group in sorted(groups):
            reason = self._role_phrase(user.source, group)
            if link.okta_id in self.members.get(group, frozenset()):
                if group in link.managed_groups or group not in interrupted:
                    continue
                # Okta has it, but the run that added it stopped before recording it.
                reason += "; added by a run that stopped midway, recording it as managed"
            elif group in link.managed_groups:
                reason += "; the membership was removed in Okta, restoring it"
            out.act(
                ActionKind.ADD_TO_GROUP,
                key,
                situation,
                reason,
                okta_id=link.okta_id,
                group_id=group,
            )
        for group in sorted(self._ours(key, link) - groups):
            self._leave_group(key, link, user.source, group, situation, out)
        self._idp_link(key, user.source, link.okta_id, link.idp_linked, situation, out)

    def _plan_profile(
        self,
        key: IdentityKey,
        link: Link,
        okta_user: TargetUser,
        mapped: Mapping[str, object],
        out: _Builder,
    ) -> bool:
        """Plan the profile update; False when the identity is disputed and must be left alone."""
        if not self.policy.login_follows_email:
            mapped = {k: v for k, v in mapped.items() if k != "login"}
        changed = _profile_changes(mapped, okta_user.profile, keep_login_case=True)
        if not changed:
            return True
        new_login = changed.get("login")
        if new_login is not None:
            holder = self.by_login.get(login_key(str(new_login)))
            if holder is not None and holder.id != link.okta_id:
                out.notice(
                    key,
                    Situation.DISPUTED,
                    f"the new login {new_login} belongs to Okta user {holder.id}; nothing changed",
                    "disputed",
                )
                return False
        source_changed = {k for k in changed if link.profile.get(k) != mapped.get(k)}
        drifted = sorted(set(changed) - source_changed)
        if drifted and self.policy.on_profile_drift == "report":
            out.notice(
                key,
                Situation.LINKED,
                "edited in Okta, left as is (on_profile_drift = report): " + ", ".join(drifted),
                "reported",
            )
            changed = {k: v for k, v in changed.items() if k in source_changed}
            if not changed:
                return True
        parts = []
        if source_changed:
            parts.append("changed in Auth0: " + ", ".join(sorted(source_changed)))
        if drifted and self.policy.on_profile_drift == "overwrite":
            parts.append("edited in Okta, overwritten: " + ", ".join(drifted))
        out.act(
            ActionKind.UPDATE_PROFILE,
            key,
            Situation.LINKED,
            "; ".join(parts),
            okta_id=link.okta_id,
            profile=changed,
            before={k: okta_user.profile.get(k) for k in changed},
        )
        return True

    def _plan_blocked(
        self, key: IdentityKey, link: Link, okta_user: TargetUser, out: _Builder
    ) -> None:
        if self.policy.on_blocked == "none" or link.deprovisioned:
            return
        if any(self._in_scope(other) for other in self._co_owners(key, link)):
            return
        if okta_user.status == "ACTIVE":
            out.act(
                ActionKind.SUSPEND,
                key,
                Situation.GONE,
                "blocked in Auth0 (on_blocked = suspend)",
                okta_id=link.okta_id,
            )
        elif okta_user.status not in _INACTIVE:
            # Okta suspends only ACTIVE users; a user who never finished activation is deactivated.
            out.act(
                ActionKind.DEACTIVATE,
                key,
                Situation.GONE,
                f"blocked in Auth0 and {okta_user.status} in Okta, which cannot be suspended",
                okta_id=link.okta_id,
            )

    def _plan_gone(
        self,
        key: IdentityKey,
        link: Link,
        okta_user: TargetUser,
        user: SourceUser | None,
        deleted: bool,
        out: _Builder,
    ) -> None:
        why = "deleted in Auth0" if deleted else "holds no bound role any more"
        source = link.source
        for group in sorted(self._ours(key, link)):
            self._leave_group(key, link, source, group, Situation.GONE, out, why=why)
        policy = self.policy.on_gone
        status = okta_user.status
        if policy == "none" or link.deprovisioned == "deactivated":
            return
        if any(self._in_scope(other) for other in self._co_owners(key, link)):
            return  # the same person is still in scope through another tenant
        if policy == "suspend":
            if status == "ACTIVE" and not link.deprovisioned:
                out.act(
                    ActionKind.SUSPEND,
                    key,
                    Situation.GONE,
                    f"{why} (on_gone = suspend)",
                    okta_id=link.okta_id,
                )
            return
        if status != "DEPROVISIONED":
            out.act(
                ActionKind.DEACTIVATE,
                key,
                Situation.GONE,
                f"{why} (on_gone = {policy})",
                okta_id=link.okta_id,
            )
        if policy == "delete":
            out.act(
                ActionKind.DELETE,
                key,
                Situation.GONE,
                f"{why} (on_gone = delete)",
                okta_id=link.okta_id,
            )

    def _hub_decided(
        self,
        key: IdentityKey,
        link: Link,
        okta_user: TargetUser,
        out: _Builder,
        *,
        write_back: bool,
    ) -> None:
        """Someone else suspended or deactivated a managed user in Okta: the hub's decision wins."""
        state = "deactivated" if okta_user.status == "DEPROVISIONED" else "suspended"
        out.notice(
            key,
            Situation.LINKED,
            f"{state} in Okta outside spokesync; left as is (the hub's decision wins)",
            "reported",
        )
        if write_back and link.hub_status != state:
            self._write_back(key, link, state, Situation.LINKED, out, restore=False)

    def _write_back(
        self,
        key: IdentityKey,
        link: Link,
        state: str,
        situation: Situation,
        out: _Builder,
        *,
        restore: bool,
    ) -> None:
        body: dict[str, object] = {"app_metadata": {self.policy.hub_status_key: state}}
        if restore and link.source_blocked_by_us:
            body["blocked"] = False
        elif not restore and self.policy.block_in_source:
            body["blocked"] = True
        out.act(
            ActionKind.WRITE_BACK,
            key,
            situation,
            f"tell Auth0 the hub status is {state}",
            okta_id=link.okta_id,
            before={self.policy.hub_status_key: link.hub_status or None},
            detail=body,
        )

    def _leave_group(
        self,
        key: IdentityKey,
        link: Link,
        source: str,
        group: str,
        situation: Situation,
        out: _Builder,
        why: str | None = None,
    ) -> None:
        binding = self.role_of.get((source, group))
        if binding is not None and binding.on_leave == "none":
            return
        if link.okta_id not in self.members.get(group, frozenset()):
            return
        if any(group in self.desired.get(other, ()) for other in self._co_owners(key, link)):
            return  # the same person still needs it through another tenant
        role = f"role {binding.role_name or binding.role_id}" if binding else "its role"
        out.act(
            ActionKind.REMOVE_FROM_GROUP,
            key,
            situation,
            (why and f"{why}; removing the membership spokesync added")
            or f"no longer holds {role}; removing the membership spokesync added",
            okta_id=link.okta_id,
            group_id=group,
        )

    def _idp_link(
        self,
        key: IdentityKey,
        source: str,
        okta_id: str | None,
        linked: bool,
        situation: Situation,
        out: _Builder,
    ) -> None:
        idp = self.inp.idp_ids.get(source)
        if idp is None or linked:
            return
        out.act(
            ActionKind.LINK_IDP,
            key,
            situation,
            f"link to Okta IdP {idp} so the first sign-in through it finds this account",
            okta_id=okta_id,
            detail={"idp_id": idp},
        )

    # -- shared identities ------------------------------------------------------------------

    def owners(self, okta_id: str) -> list[IdentityKey]:
        """The identities linked to an Okta user."""
        if okta_id in self.shared_owners:
            return self.shared_owners[okta_id]
        first = self.owner.get(okta_id)
        return [] if first is None else [first]

    def _co_owners(self, key: IdentityKey, link: Link) -> list[IdentityKey]:
        """Other identities linked to the same Okta user (only with shared_across_sources)."""
        shared = self.shared_owners.get(link.okta_id)
        return [] if shared is None else [k for k in shared if k != key]

    def _in_scope(self, key: IdentityKey) -> bool:
        user = self.inp.source.profiles.get(key)
        return (
            bool(self.desired.get(key))
            and key not in self.inp.source.deleted
            and user is not None
            and not user.blocked
        )

    # -- phrasing -----------------------------------------------------------------------------

    def _role_phrase(self, source: str, group: str) -> str:
        binding = self.role_of.get((source, group))
        if binding is None:
            return f"belongs in group {group}"
        return (
            f"holds role {binding.role_name or binding.role_id} ({source}) "
            f"-> group {binding.group_name or binding.group_id}"
        )

    def _roles_phrase(self, source: str, groups: Iterable[str]) -> str:
        return "; ".join(self._role_phrase(source, g) for g in sorted(groups))


def _one_per_source(keys: list[IdentityKey]) -> bool:
    """True when no two of ``keys`` come from the same source (else it is no shared person)."""
    sources = [k.split(":", 1)[0] for k in keys]
    return len(set(sources)) == len(sources)


def _same_source(key: IdentityKey, others: Iterable[IdentityKey]) -> bool:
    """True when any of ``others`` comes from the same source as ``key``."""
    source = key.split(":", 1)[0]
    return any(other.split(":", 1)[0] == source for other in others)


def _decided_elsewhere(link: Link, okta_user: TargetUser) -> bool:
    """True when the Okta user is suspended or deactivated and spokesync did not do it."""
    if okta_user.status not in _INACTIVE:
        return False
    ours = (link.deprovisioned == "suspended" and okta_user.status == "SUSPENDED") or (
        link.deprovisioned == "deactivated" and okta_user.status == "DEPROVISIONED"
    )
    return not ours


def _profile_changes(
    mapped: Mapping[str, object], current: Mapping[str, object], *, keep_login_case: bool
) -> dict[str, object]:
    """Mapped attributes whose Okta value differs (a login differing only in case is equal)."""
    changed: dict[str, object] = {}
    for attr, value in mapped.items():
        have = current.get(attr)
        if (
            attr == "login"
            and keep_login_case
            and isinstance(have, str)
            and login_key(have) == login_key(str(value))
        ):
            continue
        if have != value:
            changed[attr] = value
    return changed
