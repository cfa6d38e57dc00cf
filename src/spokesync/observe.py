"""Observe: read the sources, the target and the store into the planner's input.

This is the I/O half of planning. It spends API calls carefully: role members come in
checkpoint pages; a profile is read only when it is not cached or Auth0 says it changed
since the last run (users search on ``updated_at``), and profiles to read come from an export
job (many) or batched ``user_id`` searches (fewer), one GET each only for what the
eventually consistent search index does not hold yet; Okta users come from the bound groups'
member pages, plus one batched login search for the identities that have no link yet.

A targeted run (``sync --user``, live mode) observes only a set of identities, reading each
one's current state from the APIs: its roles and profile in Auth0, its Okta user and groups.

Organization bindings are resolved and read by :mod:`spokesync.organizations` (one binding
per organization, the template groups' states, members with their organization roles); their
members join the role members here, and feed the same profile and target reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from spokesync.auth0.models import ShapeError, parse_source_user
from spokesync.bounded_gather import bounded_gather
from spokesync.clients import Clients
from spokesync.config import Config
from spokesync.domain import (
    PLANNED_GROUP_PREFIX,
    ActionKind,
    Binding,
    IdentityKey,
    Link,
    PendingAction,
    SourceUser,
    SourceView,
    TargetUser,
    TargetView,
    identity_key,
    index_by_login,
    login_key,
)
from spokesync.http import ApiError, ScopeError
from spokesync.mapping import Mapped, MappedProfile, rules_digest, uses_organization
from spokesync.mapping_targets import TargetProblem, target_problems
from spokesync.okta.models import UserType
from spokesync.organizations.members import (
    organization_context,
    read_member_organizations,
    read_members,
)
from spokesync.organizations.resolve import Resolution
from spokesync.planner import PlanInput
from spokesync.progress import ProgressFn, no_progress
from spokesync.resolve import resolve_profile_schemas, resolve_user_type_records
from spokesync.source_profiles import SourceProfiles
from spokesync.store.base import Store

log = structlog.get_logger("spokesync.observe")
#: Auth0 user search is eventually consistent: look back this far behind the watermark.
SEARCH_LAG = timedelta(minutes=5)
FULL_REFRESH_INTERVAL = timedelta(days=7)
#: below this many profiles to read from a source, one GET each (immediately consistent)
#: costs no more than a search
SEARCH_AT_LEAST = 3
#: the profile fields mapping and lifecycle need, requested from a users-export job
EXPORT_FIELDS = (
    "user_id",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "user_metadata",
    "app_metadata",
    "blocked",
    "updated_at",
)

Progress = ProgressFn


@dataclass
class Observation:
    """The planner's input, plus what the run must write back to the store if it succeeds."""

    input: PlanInput
    dropped_profiles: list[IdentityKey] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    #: identities whose profile could not be read this run, with the reason
    unreadable: dict[IdentityKey, str] = field(default_factory=dict)
    #: mapping targets Okta's profile schema cannot hold: left out of this run
    target_problems: list[TargetProblem] = field(default_factory=list)
    #: why the mapping targets could not be checked this run, if so
    unchecked_targets: str | None = None


class Observer:
    """One observation of sources, target and store, for one run."""

    def __init__(
        self,
        config: Config,
        clients: Clients,
        store: Store,
        *,
        now: datetime,
        progress: Progress | None = None,
        only_user: str | None = None,
        only: frozenset[IdentityKey] | None = None,
        record_profiles: bool = False,
    ) -> None:
        self.config = config
        self.clients = clients
        self.store = store
        self.now = now
        self.progress = progress or no_progress
        self.only_user = only_user
        #: observe exactly these identities (live mode); ``only_user`` adds its own
        self.only = only
        #: a sync writes the profiles it reads to the cache; ``plan`` writes nothing
        self.record_profiles = record_profiles
        self.concurrency = config.okta.max_concurrency
        self.rules = config.mapping_rules()
        self.rules_digest = rules_digest(self.rules)
        #: the Okta attributes the rules write: the only ones worth keeping of Okta profiles
        self.attributes = frozenset(self.rules) | {"login"}
        #: the run's resolution (organizations bound, template groups' states)
        self.resolution = Resolution(())
        #: identity -> the organization its ``organization.*`` paths read
        self.organization_of: dict[IdentityKey, Any] = {}
        self.organization_notes: dict[IdentityKey, str] = {}

    async def observe(
        self, bindings: tuple[Binding, ...], resolution: Resolution | None = None
    ) -> Observation:
        self.resolution = resolution or Resolution(bindings)
        records = await resolve_user_type_records(self.config, self.clients)
        user_types = {name: t.id for name, t in records.items()}
        problems, unchecked = await self._check_targets(records)
        links = self.store.load_links()
        pending = tuple(self.store.pending_actions())
        only = self._only()
        if only is not None:
            obs = await self._observe_only(bindings, only, links, pending, user_types)
            obs.target_problems, obs.unchecked_targets = problems, unchecked
            return obs
        # Okta's group pages do not depend on Auth0: read both sides at the same time.
        groups = asyncio.create_task(self._group_members(bindings, links))
        try:
            members = await self._role_members(bindings)
            members.update(
                await read_members(
                    self.clients,
                    [b for b in bindings if b.organization_id],
                    concurrency=self.concurrency,
                    progress=self.progress,
                )
            )
            self._organizations(bindings, members)
            wanted = self._wanted(members, only)
            obs = Observation(input=PlanInput(bindings, SourceView(), TargetView(), links, {}))
            profiles, mapped, deleted = await self._profiles(wanted, links, obs)
        except BaseException:
            groups.cancel()
            raise
        source = SourceView(members=members, profiles=profiles, deleted=frozenset(deleted))
        users, group_members = await groups
        target = await self._target(source, mapped, links, pending, only, users, group_members)
        self._finish(obs, bindings, source, target, links, pending, mapped, only, user_types)
        obs.target_problems, obs.unchecked_targets = problems, unchecked
        return obs

    async def _check_targets(
        self, user_types: Mapping[str, UserType]
    ) -> tuple[list[TargetProblem], str | None]:
        """Leave out of this run the mapping targets Okta's profile schema cannot hold: one
        notice instead of a refused create or update per user. A schema that cannot be read
        for a missing scope leaves the targets unchecked (as before there was a check)."""
        try:
            schemas = await resolve_profile_schemas(self.config, self.clients, user_types)
        except ScopeError as exc:
            return [], (
                f"Okta's profile schema could not be read ({exc.message}): the mapping targets "
                "beyond the base profile are not checked; grant okta.schemas.read"
            )
        problems = target_problems(list(self.rules), schemas)
        if problems:
            dropped = {p.attribute for p in problems}
            self.rules = {a: r for a, r in self.rules.items() if a not in dropped}
            self.rules_digest = rules_digest(self.rules)
            self.attributes = frozenset(self.rules) | {"login"}
            for problem in problems:
                log.warning("mapping target left out", problem=problem.notice())
        return problems, None

    async def _observe_only(
        self,
        bindings: tuple[Binding, ...],
        only: frozenset[IdentityKey],
        links: Mapping[IdentityKey, Link],
        pending: tuple[PendingAction, ...],
        user_types: Mapping[str, str],
    ) -> Observation:
        """A targeted observation: each identity's roles and profile, its Okta user and groups.

        Nothing is read from the event that asked for it: the APIs' current state only, so
        events that come late or out of order cannot make it wrong. Identities linked to the
        same Okta user (``shared_across_sources``) are observed together: the memberships of
        one person are planned from all of their roles.
        """
        okta_ids = {links[k].okta_id for k in only if k in links}
        only = only | {k for k, link in links.items() if link.okta_id in okta_ids}
        members = await self._member_roles(bindings, only)
        if any(b.organization_id for b in bindings):
            members.update(
                await read_member_organizations(
                    self.clients,
                    [b for b in bindings if b.organization_id],
                    sorted(only),
                    concurrency=self.concurrency,
                )
            )
            self._organizations(bindings, members)
        wanted = self._wanted(members, only)
        obs = Observation(input=PlanInput(bindings, SourceView(), TargetView(), links, {}))
        profiles, mapped, deleted = await self._profiles(wanted, links, obs)
        source = SourceView(members=members, profiles=profiles, deleted=frozenset(deleted))
        target = await self._target_of(bindings, source, mapped, links, pending, only)
        self._finish(obs, bindings, source, target, links, pending, mapped, only, user_types)
        return obs

    def _finish(
        self,
        obs: Observation,
        bindings: tuple[Binding, ...],
        source: SourceView,
        target: TargetView,
        links: Mapping[IdentityKey, Link],
        pending: tuple[PendingAction, ...],
        mapped: dict[IdentityKey, Mapped],
        only: frozenset[IdentityKey] | None,
        user_types: Mapping[str, str],
    ) -> None:
        obs.input = PlanInput(
            bindings=bindings,
            source=source,
            target=target,
            links=links,
            rules=self.rules,
            mapped=mapped,
            policy=self.config.policy,
            idp_ids={n: s.okta_idp_id for n, s in self.config.sources.items() if s.okta_idp_id},
            activations={n: s.activation_mode for n, s in self.config.sources.items()},
            user_types=user_types,
            pending=pending,
            only=only,
            shared_across_sources=self.config.identity.shared_across_sources,
            groups=self.resolution.groups,
            organization_notes=self.organization_notes,
        )

    def _organizations(
        self, bindings: tuple[Binding, ...], members: Mapping[tuple[str, str], frozenset[str]]
    ) -> None:
        """Which organization each identity's ``organization.*`` paths read, and the notes
        for members of several (only when the rules read such paths)."""
        if not uses_organization(self.rules):
            return
        chosen, notes = organization_context(bindings, members, self.resolution.organizations)
        self.organization_of = {k: org.as_dict() for k, org in chosen.items()}
        self.organization_notes = notes

    # -- sources ------------------------------------------------------------------------------

    async def _role_members(
        self, bindings: tuple[Binding, ...]
    ) -> dict[tuple[str, str], frozenset[str]]:
        members: dict[tuple[str, str], frozenset[str]] = {}
        for binding in bindings:
            if binding.organization_id or binding.member_key in members:
                continue
            ids: set[str] = set()
            client = self.clients.auth0[binding.source]
            async for page in client.role_members(binding.role_id):
                ids.update(m.user_id for m in page)
                self.progress("role members", len(page))
            members[binding.member_key] = frozenset(ids)
        return members

    async def _member_roles(
        self, bindings: tuple[Binding, ...], only: frozenset[IdentityKey]
    ) -> dict[tuple[str, str], frozenset[str]]:
        """The bound roles' members among ``only``, from each user's own role list."""
        roles = [b for b in bindings if not b.organization_id]
        bound: dict[str, set[str]] = {}
        for binding in roles:
            bound.setdefault(binding.source, set()).add(binding.role_id)
        keys = sorted(k for k in only if k.split(":", 1)[0] in bound)

        def reader(key: IdentityKey) -> Callable[[], Awaitable[frozenset[str] | None]]:
            source, user_id = key.split(":", 1)
            return lambda: self.clients.auth0[source].user_role_ids(user_id)

        held = await bounded_gather(self.concurrency, [reader(k) for k in keys])
        members: dict[tuple[str, str], set[str]] = {b.member_key: set() for b in roles}
        for key, held_roles in zip(keys, held, strict=True):
            source, user_id = key.split(":", 1)
            for role_id in (held_roles or frozenset()) & bound[source]:
                members[(source, role_id)].add(user_id)
        return {k: frozenset(v) for k, v in members.items()}

    def _only(self) -> frozenset[IdentityKey] | None:
        """The identities a targeted run plans: ``only``, and ``sync --user ID`` in every
        source that may hold that Auth0 user."""
        if self.only_user is None:
            return self.only
        named = frozenset(identity_key(name, self.only_user) for name in self.config.sources)
        return named | (self.only or frozenset())

    @staticmethod
    def _wanted(
        members: Mapping[tuple[str, str], frozenset[str]],
        only: frozenset[IdentityKey] | None,
    ) -> set[IdentityKey]:
        """Identities whose profile the plan needs: the role members (an identity that holds
        no bound role is gone whatever its profile says)."""
        wanted = {identity_key(src, uid) for (src, _), ids in members.items() for uid in ids}
        if only is not None:
            wanted &= only
        return wanted

    async def _profiles(
        self, wanted: set[IdentityKey], links: Mapping[IdentityKey, Link], obs: Observation
    ) -> tuple[dict[IdentityKey, SourceUser], dict[IdentityKey, Mapped], set[IdentityKey]]:
        """The wanted identities' profiles, their mapped results, and the ones Auth0 deleted.

        A cached profile mapped under the current rules is not mapped again; a profile read
        this run (or cached under other rules) is mapped on arrival, once for the whole run.
        """
        book = SourceProfiles(
            self.store,
            self.rules,
            self.rules_digest,
            links,
            record=self.record_profiles,
            organizations=self.organization_of,
        )
        targeted = self._only() is not None
        # A targeted run reads every profile it plans afresh: neither the cache nor the
        # watermark search (whose mark would skip other users' changes) is consulted.
        for cached in () if targeted else self.store.iter_profiles(self.rules_digest):
            key = cached.user.key
            if key not in wanted:
                obs.dropped_profiles.append(key)
            elif cached.mapped is not None:
                if not book.depends_on_organization(key):
                    book.known(cached.user, cached.mapped)
                # else: mapped without its organization (it was bound by role): read again
            else:
                book.fresh(cached.user)  # cached under other rules: mapped (and stored) again
        refresh: set[IdentityKey] = {k for k in wanted if k not in book}
        for name in () if targeted else self.config.sources:
            prefix = f"{name}:"
            if not any(k.startswith(prefix) for k in wanted):
                continue
            changed = await self._changed_since_watermark(name, wanted, obs)
            if changed is None:  # a full refresh is due
                refresh |= {k for k in wanted if k.startswith(prefix)}
            else:
                for user in changed:
                    book.fresh(user)
                    refresh.discard(user.key)
        for name, source_config in self.config.sources.items():
            prefix = f"{name}:"
            if sum(1 for k in refresh if k.startswith(prefix)) >= source_config.export_threshold:
                # ``refresh`` itself is the filter: no second set of 100,000s of keys.
                refresh.difference_update(await self._export(name, refresh, book))
        if self.only_user is None:  # one user: its GET is immediately consistent
            for name in self.config.sources:
                refresh.difference_update(await self._search_by_id(name, refresh, book))
        deleted: set[IdentityKey] = set()
        fetched = await bounded_gather(self.concurrency, [self._reader(k) for k in sorted(refresh)])
        for key, result in zip(sorted(refresh), fetched, strict=True):
            if isinstance(result, SourceUser):
                book.fresh(result)
                continue
            book.forget(key)
            if result is None:
                deleted.add(key)
            else:
                obs.unreadable[key] = result
        book.flush()
        return book.users, book.mapped, deleted

    async def _export(
        self, source: str, wanted: set[IdentityKey], book: SourceProfiles
    ) -> list[IdentityKey]:
        """Read many profiles with one users-export job instead of one GET each; the
        identities it found. Members the export does not hold (created after its snapshot)
        are read one by one.
        """
        found: list[IdentityKey] = []
        client = self.clients.auth0[source]
        async for record in client.export_users(list(EXPORT_FIELDS), poll_interval=1.0):
            user_id = record.get("user_id")
            if not isinstance(user_id, str) or identity_key(source, user_id) not in wanted:
                continue
            try:
                user = parse_source_user(source, record)
            except ShapeError:
                continue  # read again one by one, where a bad record fails with its reason
            book.fresh(user)
            found.append(user.key)
            self.progress("profiles (export)", 1)
        return found

    async def _search_by_id(
        self, source: str, wanted: set[IdentityKey], book: SourceProfiles
    ) -> list[IdentityKey]:
        """Read the source's wanted profiles with batched ``user_id`` searches (100 a call
        instead of one GET each); the identities found. The index is eventually consistent:
        members it does not hold yet are read one by one after this."""
        prefix = f"{source}:"
        user_ids = sorted(k[len(prefix) :] for k in wanted if k.startswith(prefix))
        if len(user_ids) < SEARCH_AT_LEAST:
            return []
        found: list[IdentityKey] = []
        try:
            async for page in self.clients.auth0[source].search_users_by_id(user_ids):
                for user in page:
                    if user.key in wanted:
                        book.fresh(user)
                        found.append(user.key)
                self.progress("profiles (search)", len(page))
        except ApiError as exc:
            # The one-by-one reads that follow still get every profile the search did not.
            log.warning("batched profile search failed", source=source, error=str(exc))
        return found

    def _reader(self, key: IdentityKey) -> Callable[[], Awaitable[SourceUser | str | None]]:
        source, user_id = key.split(":", 1)

        async def read() -> SourceUser | str | None:
            try:
                user = await self.clients.auth0[source].get_user(user_id)
            except ApiError as exc:
                return f"reading the Auth0 profile failed: {exc}"
            self.progress("profiles", 1)
            return user

        return read

    async def _changed_since_watermark(
        self, source: str, wanted: set[IdentityKey], obs: Observation
    ) -> list[SourceUser] | None:
        """Profiles changed since the last run, or None when a full refresh is due."""
        now_iso = _iso(self.now)
        full_key = f"auth0.{source}.full_refresh_at"
        mark_key = f"auth0.{source}.updated_at"
        last_full = self.store.get_cursor(full_key)
        mark = self.store.get_cursor(mark_key)
        obs.cursors[mark_key] = now_iso
        if (
            last_full is None
            or mark is None
            or _parse(last_full) + FULL_REFRESH_INTERVAL < self.now
        ):
            obs.cursors[full_key] = now_iso
            return None
        since = _iso(_parse(mark) - SEARCH_LAG)
        changed: list[SourceUser] = []
        async for page in self.clients.auth0[source].search_updated_since(since):
            changed.extend(u for u in page if u.key in wanted)
        return changed

    # -- target -------------------------------------------------------------------------------

    async def _group_members(
        self, bindings: tuple[Binding, ...], links: Mapping[IdentityKey, Link]
    ) -> tuple[dict[str, TargetUser], dict[str, frozenset[str]]]:
        """The bound groups' members: the users seen, and each group's member ids."""
        users: dict[str, TargetUser] = {}
        group_members: dict[str, frozenset[str]] = {}
        applied = {link.okta_id: link.profile for link in links.values()}
        for group_id in dict.fromkeys(b.group_id for b in bindings):
            if group_id.startswith(PLANNED_GROUP_PREFIX):
                group_members[group_id] = frozenset()  # created by this run's plan
                continue
            ids: set[str] = set()
            async for page in self.clients.okta.group_members(group_id):
                for user in page:
                    users[user.id] = self._compact(user, applied.get(user.id))
                    ids.add(user.id)
                self.progress("group members", len(page))
            group_members[group_id] = frozenset(ids)
        return users, group_members

    def _compact(self, user: TargetUser, applied: Mapping[str, Any] | None) -> TargetUser:
        """``user`` with only the attributes the rules write (the planner compares no others),
        sharing the link's profile object when they are equal (the usual, in-sync case)."""
        kept = {k: v for k, v in user.profile.items() if k in self.attributes}
        if applied is not None and kept == applied:
            return TargetUser(user.id, user.status, applied)
        return TargetUser(user.id, user.status, kept)

    async def _target(
        self,
        source: SourceView,
        mapped: Mapping[IdentityKey, Mapped],
        links: Mapping[IdentityKey, Link],
        pending: tuple[PendingAction, ...],
        only: frozenset[IdentityKey] | None,
        users: dict[str, TargetUser],
        group_members: dict[str, frozenset[str]],
    ) -> TargetView:
        """Complete the target view: linked users outside the groups, and login matches."""
        missing: set[str] = set()
        relevant = links if only is None else {k: v for k, v in links.items() if k in only}
        unseen = sorted({link.okta_id for link in relevant.values()} - users.keys())
        fetched = await bounded_gather(
            self.concurrency, [self._okta_reader(okta_id) for okta_id in unseen]
        )
        for okta_id, found in zip(unseen, fetched, strict=True):
            if found is None:
                missing.add(okta_id)
            else:
                users[okta_id] = found
        for user in await self._login_candidates(source, mapped, links, pending, users, only):
            users.setdefault(user.id, user)
        _share_with_mapped(users, mapped, links)
        return TargetView(users=users, group_members=group_members, missing=frozenset(missing))

    async def _target_of(
        self,
        bindings: tuple[Binding, ...],
        source: SourceView,
        mapped: Mapping[IdentityKey, Mapped],
        links: Mapping[IdentityKey, Link],
        pending: tuple[PendingAction, ...],
        only: frozenset[IdentityKey],
    ) -> TargetView:
        """The target view of a targeted run: the linked users and the login matches of
        ``only``, each with its groups, instead of the bound groups' whole member pages."""
        users: dict[str, TargetUser] = {}
        missing: set[str] = set()
        wanted = sorted({link.okta_id for key, link in links.items() if key in only})
        fetched = await bounded_gather(self.concurrency, [self._okta_reader(i) for i in wanted])
        for okta_id, found in zip(wanted, fetched, strict=True):
            if found is None:
                missing.add(okta_id)
            else:
                users[okta_id] = found
        mine = tuple(p for p in pending if p.identity in only)
        for user in await self._login_candidates(source, mapped, links, mine, users, only):
            users.setdefault(user.id, user)
        ids = sorted(users)

        def groups_of(okta_id: str) -> Callable[[], Awaitable[frozenset[str] | None]]:
            return lambda: self.clients.okta.user_group_ids(okta_id)

        held = await bounded_gather(self.concurrency, [groups_of(i) for i in ids])
        bound = dict.fromkeys(b.group_id for b in bindings)
        member_of = dict(zip(ids, held, strict=True))
        group_members = {
            group: frozenset(i for i, groups in member_of.items() if group in (groups or ()))
            for group in bound
        }
        _share_with_mapped(users, mapped, links)
        return TargetView(users=users, group_members=group_members, missing=frozenset(missing))

    def _okta_reader(self, okta_id: str) -> Callable[[], Awaitable[TargetUser | None]]:
        async def read() -> TargetUser | None:
            return await self.clients.okta.get_user(okta_id)

        return read

    async def _login_candidates(
        self,
        source: SourceView,
        mapped: Mapping[IdentityKey, Mapped],
        links: Mapping[IdentityKey, Link],
        pending: tuple[PendingAction, ...],
        known: Mapping[str, TargetUser],
        only: frozenset[IdentityKey] | None,
    ) -> list[TargetUser]:
        """Okta users holding the logins that unlinked identities would get (one batched search)."""
        seen = {login_key(u.login) for u in known.values()}
        logins: dict[str, str] = {}
        for key in source.profiles:
            if only is not None and key not in only:
                continue
            result = mapped.get(key)
            if not isinstance(result, MappedProfile):
                continue
            login = str(result.profile["login"])
            link = links.get(key)
            # New identities need their login checked; linked ones only when it would change.
            if link is None or login_key(link.login) != login_key(login):
                logins.setdefault(login_key(login), login)
        for entry in pending:
            if entry.action is ActionKind.CREATE_USER and entry.login:
                logins.setdefault(login_key(entry.login), entry.login)
        wanted = [login for lkey, login in sorted(logins.items()) if lkey not in seen]
        if not wanted:
            return []
        return await self.clients.okta.find_users_by_login(wanted)


def _share_with_mapped(
    users: dict[str, TargetUser],
    mapped: Mapping[IdentityKey, Mapped],
    links: Mapping[IdentityKey, Link],
) -> None:
    """Okta users that an unlinked identity will link to, holding its mapped profile object
    when equal: a first run over an org that already has everyone (migrating from another
    provisioning flow) keeps one profile per person instead of two."""
    by_login = index_by_login(users.values())
    for key, result in mapped.items():
        if key in links or not isinstance(result, MappedProfile):
            continue
        user = by_login.get(login_key(str(result.profile["login"])))
        if (
            user is not None
            and user.profile is not result.profile
            and user.profile == result.profile
        ):
            users[user.id] = TargetUser(user.id, user.status, result.profile)


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
