"""The identities a renamed or deleted organization touches, for a live run (I/O).

Its current members (read from Auth0, while it still exists), and every linked identity
holding a membership spokesync added to a group made for it (its former members, once it is
deleted). The targeted run then renames the group, maps the members again, or takes them out.
"""

from __future__ import annotations

from collections.abc import Iterable

from spokesync.clients import Clients
from spokesync.domain import IdentityKey, identity_key
from spokesync.http import NotFound
from spokesync.store.base import Store


async def organization_identities(
    clients: Clients, store: Store, organizations: Iterable[tuple[str, str]]
) -> frozenset[IdentityKey]:
    """Members and former members of ``organizations`` ((source, organization id) pairs)."""
    wanted = set(organizations)
    out: set[IdentityKey] = set()
    for source, org_id in sorted(wanted):
        client = clients.auth0.get(source)
        if client is None:
            continue
        try:
            async for page in client.organization_members(org_id, roles=False):
                out.update(identity_key(source, m.user_id) for m in page)
        except NotFound:
            pass  # deleted: its former members come from the groups below
    groups = {
        r.group_id for r in store.organization_groups() if (r.source, r.organization_id) in wanted
    }
    if groups:
        for key, link in store.load_links().items():
            if link.managed_groups & groups:
                out.add(key)
    return frozenset(out)
