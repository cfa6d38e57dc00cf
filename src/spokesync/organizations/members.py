"""The members of bound organizations, read for a run (I/O), and which organization each
identity's mapping reads from.

A full run reads each bound organization's members once, in checkpoint pages of 100 with
``fields=user_id,email,name,roles`` when some binding on it needs an organization role: the
roles come in the same pages, so an unchanged world costs about members/100 + one closing
page per organization, and no per-member call. Only members whose items carry no ``roles``
(a tenant that ignores the field) are read one by one. A targeted run (live mode,
``sync --user``) reads each identity's own organizations instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from spokesync.auth0.organizations import Organization
from spokesync.bounded_gather import bounded_gather
from spokesync.clients import Clients
from spokesync.domain import Binding, IdentityKey, identity_key, organization_member_key
from spokesync.http import NotFound

#: organizations read at once (each one's pages follow each other: the cursor chains them)
ORGANIZATIONS_AT_ONCE = 4
Progress = Callable[[str, int], None]


def _needs(bindings: Iterable[Binding]) -> dict[tuple[str, str], set[str]]:
    """(source, organization id) -> the organization roles its bindings need."""
    needs: dict[tuple[str, str], set[str]] = {}
    for b in bindings:
        if b.organization_id and not b.organization_gone:
            roles = needs.setdefault((b.source, b.organization_id), set())
            if b.role_id:
                roles.add(b.role_id)
    return needs


async def read_members(
    clients: Clients,
    bindings: Sequence[Binding],
    *,
    concurrency: int,
    progress: Progress | None = None,
) -> dict[tuple[str, str], frozenset[str]]:
    """Member keys of the organization bindings -> the user ids they hold (a full run)."""
    report = progress or (lambda _phase, _n: None)
    needs = _needs(bindings)

    def job(source: str, org_id: str, roles: set[str]) -> Callable[[], Awaitable[_Read]]:
        return lambda: _read_one(clients, source, org_id, roles, concurrency, report)

    reads = await bounded_gather(
        ORGANIZATIONS_AT_ONCE, [job(s, o, r) for (s, o), r in sorted(needs.items())]
    )
    out: dict[tuple[str, str], frozenset[str]] = {}
    for read in reads:
        out[(read.source, read.organization_id)] = read.members
        for role_id, ids in read.by_role.items():
            out[(read.source, organization_member_key(read.organization_id, role_id))] = ids
    for b in bindings:
        out.setdefault(b.member_key, frozenset())
    return out


@dataclass(frozen=True, slots=True)
class _Read:
    source: str
    organization_id: str
    members: frozenset[str]
    by_role: Mapping[str, frozenset[str]]


async def _read_one(
    clients: Clients,
    source: str,
    org_id: str,
    roles: set[str],
    concurrency: int,
    progress: Progress,
) -> _Read:
    client = clients.auth0[source]
    members: set[str] = set()
    by_role: dict[str, set[str]] = {r: set() for r in roles}
    unread: list[str] = []
    try:
        async for page in client.organization_members(org_id, roles=bool(roles)):
            for member in page:
                members.add(member.user_id)
                if not roles:
                    continue
                if member.role_ids is None:
                    unread.append(member.user_id)
                    continue
                for role_id in member.role_ids & roles:
                    by_role[role_id].add(member.user_id)
            progress("organization members", len(page))
    except NotFound:
        # Deleted since it was resolved: no members now (the guard weighs an empty one).
        return _Read(source, org_id, frozenset(), {r: frozenset() for r in roles})
    if unread:

        def reader(user_id: str) -> Callable[[], Awaitable[frozenset[str] | None]]:
            return lambda: client.member_role_ids(org_id, user_id)

        held = await bounded_gather(concurrency, [reader(u) for u in unread])
        for user_id, ids in zip(unread, held, strict=True):
            for role_id in (ids or frozenset()) & roles:
                by_role[role_id].add(user_id)
    return _Read(source, org_id, frozenset(members), {r: frozenset(v) for r, v in by_role.items()})


async def read_member_organizations(
    clients: Clients,
    bindings: Sequence[Binding],
    keys: Sequence[IdentityKey],
    *,
    concurrency: int,
) -> dict[tuple[str, str], frozenset[str]]:
    """The organization bindings' members among ``keys`` (a targeted run): each identity's
    organizations, and its roles in the bound ones that need a role."""
    needs = _needs(bindings)
    sources = {s for s, _ in needs}
    wanted = [k for k in keys if k.split(":", 1)[0] in sources]

    def orgs_of(key: IdentityKey) -> Callable[[], Awaitable[list[Organization] | None]]:
        source, user_id = key.split(":", 1)
        return lambda: clients.auth0[source].user_organizations(user_id)

    found = await bounded_gather(concurrency, [orgs_of(k) for k in wanted])
    out: dict[tuple[str, str], set[str]] = {b.member_key: set() for b in bindings}
    role_reads: list[tuple[str, str, str, set[str]]] = []
    for key, orgs in zip(wanted, found, strict=True):
        source, user_id = key.split(":", 1)
        for org in orgs or ():
            roles = needs.get((source, org.id))
            if roles is None:
                continue
            out.setdefault((source, org.id), set()).add(user_id)
            if roles:
                role_reads.append((source, org.id, user_id, roles))

    def roles_of(
        source: str, org_id: str, user_id: str
    ) -> Callable[[], Awaitable[frozenset[str] | None]]:
        return lambda: clients.auth0[source].member_role_ids(org_id, user_id)

    held = await bounded_gather(concurrency, [roles_of(s, o, u) for s, o, u, _ in role_reads])
    for (source, org_id, user_id, roles), ids in zip(role_reads, held, strict=True):
        for role_id in (ids or frozenset()) & roles:
            out.setdefault((source, organization_member_key(org_id, role_id)), set()).add(user_id)
    return {k: frozenset(v) for k, v in out.items()}


def organization_context(
    bindings: Sequence[Binding],
    members: Mapping[tuple[str, str], frozenset[str]],
    organizations: Mapping[str, Mapping[str, Organization]],
) -> tuple[dict[IdentityKey, Organization], dict[IdentityKey, str]]:
    """Which organization each identity in scope through an organization binding maps from,
    and a note for each member of several: the binding listed first wins (then, within a
    template binding, the organization whose name sorts first)."""
    chosen: dict[IdentityKey, Organization] = {}
    others: dict[IdentityKey, list[str]] = {}
    ordered = sorted(
        (b for b in bindings if b.organization_id and not b.organization_gone),
        key=lambda b: (b.index, b.organization_name, b.organization_id),
    )
    for b in ordered:
        org = organizations.get(b.source, {}).get(b.organization_id)
        if org is None:
            continue
        for user_id in members.get(b.member_key, frozenset()):
            key = identity_key(b.source, user_id)
            first = chosen.setdefault(key, org)
            if first.id != org.id:
                names = others.setdefault(key, [])
                if org.name not in names:
                    names.append(org.name)
    notes = {
        key: (
            f"member of organizations {chosen[key].name}, {', '.join(names)}; "
            f"organization.* mapping paths read {chosen[key].name} (the binding listed first)"
        )
        for key, names in others.items()
    }
    return chosen, notes
