"""A change of ``activation`` applies to new users only: existing Okta users are never
recreated. Told once per source, judged from the status Okta shows for the linked users: a
user still PROVISIONED waits on Okta's activation email, a STAGED one was never activated,
and neither is what the source's activation would create today."""

from __future__ import annotations

from collections.abc import Iterable

from spokesync.domain import IdentityKey, Situation
from spokesync.planner.context import Builder, Context

_PROVISIONED = "created with activation = email and waiting on Okta's activation email"
_STAGED = "created with activation = staged and never activated"
#: activation -> the Okta statuses of linked users that another activation created
_OTHERWISE: dict[str, dict[str, str]] = {
    "federated": {"PROVISIONED": _PROVISIONED, "STAGED": _STAGED},
    "email": {"STAGED": _STAGED},
    "staged": {"PROVISIONED": _PROVISIONED},
}


def activation_notices(ctx: Context, keys: Iterable[IdentityKey], out: Builder) -> None:
    """One notice per source whose in-scope users spokesync created another way (only for
    sources whose activation observe gave; users it adopted were never created by it)."""
    activations = ctx.inp.activations
    found: dict[str, dict[str, list[IdentityKey]]] = {}
    for key in keys:
        link = ctx.inp.links.get(key)
        mode = None if link is None else activations.get(link.source)
        if link is None or mode is None or link.deprovisioned or link.origin != "created":
            continue
        okta_user = ctx.inp.target.users.get(link.okta_id)
        if okta_user is not None and okta_user.status in _OTHERWISE[mode] and ctx.in_scope(key):
            by_status = found.setdefault(link.source, {})
            by_status.setdefault(okta_user.status, []).append(key)
    for source, by_status in sorted(found.items()):
        mode = activations[source]
        parts = [
            f"{len(members)} {status}, {_OTHERWISE[mode][status]}"
            for status, members in sorted(by_status.items())
        ]
        first = min(k for members in by_status.values() for k in members)
        out.notice(
            first,
            Situation.LINKED,
            f"sources.{source}.activation = {mode} applies to new users only; existing Okta "
            f"users are left as they are: {'; '.join(parts)}",
            "reported",
        )
