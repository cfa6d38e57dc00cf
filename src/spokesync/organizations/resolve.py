"""Organization bindings, resolved: one :class:`~spokesync.domain.Binding` per organization
(and organization role), and the state of the group each template binding needs.

This is I/O (it reads Auth0, Okta and the store), done once per run before observe. What to
do about a group (create, rename, adopt, report) is decided by the planner from the
:class:`~spokesync.domain.GroupState` s found here; nothing is written.

A template group is found by the organization id recorded when spokesync made it, never by
its name: a renamed organization keeps its group, and a group someone else made with the
same name is not taken (unless ``[policy] adopt_groups``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from spokesync.auth0.organizations import Organization
from spokesync.bounded_gather import bounded_gather
from spokesync.clients import Clients
from spokesync.config import BindingConfig, Config
from spokesync.domain import (
    ActionKind,
    Binding,
    GroupState,
    GroupStatus,
    OrganizationGroup,
    PendingAction,
    group_action_key,
    group_description,
    planned_group_id,
)
from spokesync.http import AmbiguousName, NotFound
from spokesync.okta.models import Group
from spokesync.organizations.selection import selected, selects
from spokesync.organizations.template import is_template, name_problem, render

#: Okta reads of recorded groups in flight at once
CONCURRENCY = 8


class OrganizationError(Exception):
    """An organization binding does not resolve (a config problem: exit 2)."""


@dataclass
class Resolution:
    """The bindings of a run, the template groups' states, and the bound organizations."""

    bindings: tuple[Binding, ...]
    groups: tuple[GroupState, ...] = ()
    #: source -> organization id -> organization, for the organizations bound this run
    organizations: dict[str, dict[str, Organization]] = field(default_factory=dict)


class OrganizationResolver:
    """Resolves the organization bindings of one config, caching what it reads."""

    def __init__(
        self,
        config: Config,
        clients: Clients,
        recorded: Iterable[OrganizationGroup] = (),
        pending: Iterable[PendingAction] = (),
    ) -> None:
        self.config = config
        self.clients = clients
        self.recorded = {(r.source, r.organization_id, r.role_id): r for r in recorded}
        #: interrupted create_group rows, by the organization they were for
        self.interrupted: dict[str, list[int]] = {}
        for entry in pending:
            if entry.action is ActionKind.CREATE_GROUP:
                self.interrupted.setdefault(entry.identity, []).append(entry.id)
        self._listed: dict[str, list[Organization]] = {}
        self._found: dict[tuple[str, str], Organization] = {}
        self._roles: dict[tuple[str, str], tuple[str, str]] = {}
        self._groups: dict[str, Group] = {}
        self.organizations: dict[str, dict[str, Organization]] = {}

    async def listed(self, source: str) -> list[Organization]:
        """Every organization of the source (one checkpoint listing per run)."""
        if source not in self._listed:
            found: list[Organization] = []
            async for page in self.clients.auth0[source].organizations():
                found.extend(page)
            self._listed[source] = found
        return self._listed[source]

    async def organization(self, where: str, source: str, name_or_id: str) -> Organization:
        key = (source, name_or_id)
        if key not in self._found:
            try:
                self._found[key] = await self.clients.auth0[source].find_organization(name_or_id)
            except NotFound:
                raise OrganizationError(
                    f"{where}.organization {name_or_id!r} does not exist in source {source!r}; "
                    "check the organization's name or org_... id in Auth0"
                ) from None
        return self._found[key]

    async def role(self, where: str, source: str, name_or_id: str) -> tuple[str, str]:
        key = (source, name_or_id)
        if key not in self._roles:
            try:
                role = await self.clients.auth0[source].find_role(name_or_id)
            except (NotFound, AmbiguousName) as exc:
                raise OrganizationError(
                    f"{where}.organization_role {name_or_id!r}: {exc.message}; organization "
                    "roles are the tenant's roles: check the name or rol_... id in Auth0"
                ) from None
            self._roles[key] = (role.id, role.name)
        return self._roles[key]

    async def group(self, where: str, name_or_id: str) -> Group:
        if name_or_id not in self._groups:
            try:
                self._groups[name_or_id] = await self.clients.okta.find_group(name_or_id)
            except (NotFound, AmbiguousName) as exc:
                raise OrganizationError(
                    f"{where}.group {name_or_id!r}: {exc.message}; check the group name or id"
                ) from None
        return self._groups[name_or_id]

    def _bound(self, source: str, organization: Organization) -> None:
        self.organizations.setdefault(source, {})[organization.id] = organization

    async def resolve(
        self, index: int, spec: BindingConfig
    ) -> tuple[list[Binding], list[GroupState]]:
        """The bindings (and template group states) of ``bindings[index]``."""
        where = f"bindings[{index}]"
        source = spec.source
        role_id = role_name = ""
        if spec.organization_role is not None:
            role_id, role_name = await self.role(where, source, spec.organization_role)

        def binding(
            org: Organization, group_id: str, group_name: str, gone: bool = False
        ) -> Binding:
            return Binding(
                source,
                role_id,
                group_id,
                role_name,
                group_name,
                spec.on_leave,
                organization_id=org.id,
                organization_name=org.name,
                organization_gone=gone,
                index=index,
            )

        if spec.organization is not None:
            org = await self.organization(where, source, spec.organization)
            group = await self.group(where, spec.group)
            self._bound(source, org)
            return [binding(org, group.id, group.name)], []
        assert spec.organizations is not None
        matching = selected(spec.organizations, await self.listed(source))
        if not is_template(spec.group):
            group = await self.group(where, spec.group)
            for org in matching:
                self._bound(source, org)
            return [binding(org, group.id, group.name) for org in matching], []
        states = await self._template_states(spec, source, role_id, matching)
        out: list[Binding] = []
        by_id = {o.id: o for o in matching}
        for state in states:
            if state.status in (GroupStatus.FOREIGN, GroupStatus.UNUSABLE):
                continue
            org = by_id.get(state.organization_id) or Organization(
                state.organization_id, state.organization_name
            )
            gone = state.status is GroupStatus.GONE
            if not gone:
                self._bound(source, org)
            out.append(binding(org, state.group_id, state.name, gone))
        return out, states

    async def _template_states(
        self, spec: BindingConfig, source: str, role_id: str, matching: list[Organization]
    ) -> list[GroupState]:
        jobs = [self._state_job(spec, source, role_id, org) for org in matching]
        states = list(await bounded_gather(CONCURRENCY, jobs))
        listed = {o.id: o for o in await self.listed(source)}
        current = {o.id for o in matching}
        # Groups we made for organizations that are gone, or no longer match the binding:
        # their members leave; the groups stay (never deleted) and are reported.
        left = [
            r
            for (src, org_id, rid), r in sorted(self.recorded.items())
            if src == source and rid == role_id and org_id not in current
        ]
        for record in left:
            org = listed.get(record.organization_id)
            if org is not None and selects(spec.organizations or (), org.name):
                continue
            state = await self._gone_state(source, role_id, record, org)
            if state is not None:
                states.append(state)
        return states

    def _state_job(
        self, spec: BindingConfig, source: str, role_id: str, org: Organization
    ) -> Callable[[], Awaitable[GroupState]]:
        return lambda: self._state(spec, source, role_id, org)

    async def _state(
        self, spec: BindingConfig, source: str, role_id: str, org: Organization
    ) -> GroupState:
        name = render(spec.group, org.as_dict())

        def found(
            group_id: str,
            status: GroupStatus,
            current_name: str = "",
            detail: str = "",
            pending_ids: tuple[int, ...] = (),
        ) -> GroupState:
            return GroupState(
                source,
                org.id,
                org.name,
                role_id,
                name,
                group_id,
                status,
                current_name,
                detail,
                pending_ids,
            )

        problem = name_problem(name)
        if problem is not None:
            return found(
                group_id="",
                status=GroupStatus.UNUSABLE,
                detail=f"{problem}; check the organization's display name or the template",
            )
        okta = self.clients.okta
        record = self.recorded.get((source, org.id, role_id))
        if record is not None:
            try:
                group = await okta.find_group(record.group_id)
            except NotFound:
                group = None  # deleted in Okta by someone: made again below
            if group is not None:
                return found(group_id=group.id, status=GroupStatus.OURS, current_name=group.name)
        pending = tuple(self.interrupted.get(group_action_key(source, org.id), ()))
        try:
            same_name = await okta.find_group(name)
        except NotFound:
            return found(
                group_id=planned_group_id(source, org.id, role_id),
                status=GroupStatus.MISSING,
                pending_ids=pending,
            )
        except AmbiguousName:
            return found(
                group_id="",
                status=GroupStatus.FOREIGN,
                detail=f"several Okta groups are named {name!r}, none made by spokesync",
            )
        if pending and same_name.description == group_description(source, org.id):
            return found(
                group_id=same_name.id,
                status=GroupStatus.CLAIMABLE,
                current_name=same_name.name,
                pending_ids=pending,
            )
        if self.config.policy.adopt_groups:
            return found(
                group_id=same_name.id,
                status=GroupStatus.ADOPTABLE,
                current_name=same_name.name,
            )
        return found(
            group_id="",
            status=GroupStatus.FOREIGN,
            current_name=same_name.name,
            detail=(
                f"Okta group {same_name.id} is named {name!r} but spokesync did not create it; "
                "not used (set [policy] adopt_groups = true to use it, or rename it)"
            ),
        )

    async def _gone_state(
        self,
        source: str,
        role_id: str,
        record: OrganizationGroup,
        listed: Organization | None,
    ) -> GroupState | None:
        if listed is None:
            # Absent from the listing: only a 404 on the organization itself says it is gone
            # (an incomplete listing must not empty groups).
            org = await self.clients.auth0[source].get_organization(record.organization_id)
            if org is not None:
                return None
            why = f"organization {record.organization_id} was deleted in Auth0"
            name = record.organization_id
        else:
            why = f"organization {listed.name} no longer matches the binding"
            name = listed.name
        try:
            group = await self.clients.okta.find_group(record.group_id)
        except NotFound:
            return None  # nothing left to empty
        return GroupState(
            source=source,
            organization_id=record.organization_id,
            organization_name=name,
            role_id=role_id,
            name=group.name,
            group_id=group.id,
            status=GroupStatus.GONE,
            current_name=group.name,
            detail=f"{why}; its members leave group {group.name}, which is kept",
        )


async def resolve_organization_bindings(
    config: Config,
    clients: Clients,
    specs: Mapping[int, BindingConfig],
    recorded: Iterable[OrganizationGroup] = (),
    pending: Iterable[PendingAction] = (),
) -> Resolution:
    """The bindings and template group states of the organization bindings ``specs``
    (by index in ``config.bindings``)."""
    resolver = OrganizationResolver(config, clients, recorded, pending)
    bindings: list[Binding] = []
    states: list[GroupState] = []
    for index, spec in sorted(specs.items()):
        found, group_states = await resolver.resolve(index, spec)
        bindings.extend(found)
        states.extend(group_states)
    return Resolution(tuple(bindings), tuple(states), resolver.organizations)
