"""Which identities a source's organization log entries touch (pure).

Matched by path template, as the other Management API entries are (:mod:`.auth0_entries`):

- ``POST|DELETE /api/v2/organizations/{id}/members`` (body ``members``): those users; a body
  that does not name them touches every member of the organization;
- ``POST|DELETE /api/v2/organizations/{id}/members/{user_id}/roles``: that user;
- ``PATCH|DELETE /api/v2/organizations/{id}``: the organization (a rename renames its group
  and may change what ``organization.*`` paths map; a deletion empties its groups): every
  member and former member, found by the poller;
- ``organization_member_added`` (an invitation accepted, membership at login): the user it
  names in the organization ``details.organization_id``.

Only sources with organization bindings are looked at. Creating an organization needs
nothing: the first member added to it brings its group.
"""

from __future__ import annotations

from urllib.parse import unquote

from spokesync.auth0.logs import TenantLogEntry
from spokesync.domain import identity_key
from spokesync.live.touched import Touched, identities, organizations

MEMBER_ADDED = "organization_member_added"


def _segments(path: str) -> list[str]:
    return [unquote(p) for p in path.split("?", 1)[0].split("/") if p]


def classify_organization_entry(
    source: str, entry: TenantLogEntry, at: str | None
) -> Touched | None:
    """What the entry touches; None when it is not about organizations."""
    if entry.type == MEMBER_ADDED:
        user = entry.user_id or entry.details_user_id
        if user:
            return identities(frozenset({identity_key(source, user)}), at)
        if entry.organization_id:
            return organizations(frozenset({(source, entry.organization_id)}), at)
        return Touched()
    request = entry.request
    if request is None:
        return None
    parts = _segments(request.path)
    if parts[:3] != ["api", "v2", "organizations"] or len(parts) < 4:
        return None
    org_id, rest = parts[3], parts[4:]
    whole = organizations(frozenset({(source, org_id)}), at)
    if not rest:
        return whole if request.method in ("PATCH", "DELETE") else Touched()
    if rest[0] != "members":
        return Touched()  # invitations, connections, roles of the organization: no members
    if len(rest) == 1:
        body = request.body
        members = body.get("members") if isinstance(body, dict) else None
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            return whole
        return identities(frozenset(identity_key(source, m) for m in members if m), at)
    if len(rest) >= 2:
        return identities(frozenset({identity_key(source, rest[1])}), at)
    return Touched()
