"""Which identities a source's tenant log entries touch (pure).

Management API writes are ``sapi`` entries whose ``details.request`` holds the method, the
path and the body (tenant-logs schema). The exact text of role-assignment entries is not
confirmed by the reference (§7), so entries are matched by path *template*, never by their
``description``:

- ``POST|DELETE /api/v2/roles/{id}/users`` (body ``users``): those users, when the role is
  bound; a body without the user ids needs a full reconcile;
- ``POST|DELETE /api/v2/users/{id}/roles`` (body ``roles``): that user, when a bound role is
  among them (or the body does not say);
- ``PATCH|PUT|DELETE /api/v2/users/{id}`` and any write below it: that user;
- ``POST /api/v2/users``: the created user (``details.response.body.user_id``);
- ``DELETE /api/v2/roles/{id}`` of a bound role: every identity bound through it, so a full
  reconcile; ``POST /api/v2/jobs/users-imports``: likewise;
- ``DELETE /api/v2/user-blocks/{id}``: that user.

Besides, these user events name the user in ``user_id``: ``sdu`` (deleted), ``sce`` (email
changed), ``scu`` (username changed), ``sv`` (email verified). Our own writes (write-back of
the hub status) are ignored when recognised as such (``ours``, by
:mod:`spokesync.live.auth0_echoes`), never by the application that made them: another tool
may share it. Paths are percent-decoded
(``auth0%7C...``), methods compared in upper case (the recordings log ``delete``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from spokesync.auth0.logs import TenantLogEntry
from spokesync.domain import identity_key
from spokesync.live.organization_entries import classify_organization_entry
from spokesync.live.touched import Touched, event_time, full, identities

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: entry types that name a changed user in ``user_id``
_USER_EVENTS = frozenset({"sdu", "sce", "scu", "sv"})


def _segments(path: str) -> list[str]:
    return [unquote(p) for p in path.split("?", 1)[0].split("/") if p]


def _ids(body: Any, key: str) -> list[str] | None:
    """``body[key]`` as a list of strings, or None when the body does not say."""
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return list(value)


def classify_entries(
    source: str,
    entries: Iterable[TenantLogEntry],
    *,
    bound_roles: frozenset[str],
    ours: frozenset[str] = frozenset(),
    organizations: bool = False,
) -> Touched:
    """The identities of ``source`` that ``entries`` touch, and any full-reconcile reason;
    entries whose log id is in ``ours`` (our own write-backs) touch nothing. With
    ``organizations`` (the source has organization bindings), organization entries count too
    (:mod:`.organization_entries`)."""
    touched = Touched()
    for entry in entries:
        if entry.log_id in ours:
            continue
        found = None
        if organizations:
            found = classify_organization_entry(source, entry, event_time(entry.date))
        if found is None:
            found = _classify(source, entry, bound_roles)
        touched = touched | found
    return touched


def _classify(source: str, entry: TenantLogEntry, bound_roles: frozenset[str]) -> Touched:
    at = event_time(entry.date)

    def users(ids: Iterable[str]) -> Touched:
        return identities(frozenset(identity_key(source, u) for u in ids if u), at)

    if entry.type in _USER_EVENTS:
        return users([entry.user_id] if entry.user_id else [])
    request = entry.request
    if request is None or request.method not in _WRITES:
        return Touched()
    parts = _segments(request.path)
    if parts[:2] != ["api", "v2"] or len(parts) < 3:
        return Touched()
    resource, rest = parts[2], parts[3:]
    if resource == "users":
        if not rest:
            created = entry.response_body.get("user_id")
            return users([created] if request.method == "POST" and isinstance(created, str) else [])
        if rest[1:] == ["roles"]:
            roles = _ids(request.body, "roles")
            if roles is not None and not bound_roles.intersection(roles):
                return Touched()
        return users([rest[0]])
    if resource == "roles" and rest and rest[0] in bound_roles:
        role = rest[0]
        if rest[1:] == ["users"]:
            ids = _ids(request.body, "users")
            if ids is None:
                return full(
                    f"{source}: members of role {role} changed (the log names no users)", at
                )
            return users(ids)
        if len(rest) == 1 and request.method == "DELETE":
            return full(f"{source}: bound role {role} was deleted", at)
        return Touched()
    if resource == "user-blocks" and len(rest) == 1:
        return users([rest[0]])
    if parts[2:4] == ["jobs", "users-imports"]:
        return full(f"{source}: users were imported", at)
    return Touched()
