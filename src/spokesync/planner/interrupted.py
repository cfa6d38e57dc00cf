"""What interrupted runs left behind (journal rows still "started"): the Okta users their
creates made and never linked, whose each one is, and what the plan decides about each row.

A run killed after Okta carried out an action and before the link or journal caught up
leaves that action's effect in Okta with nothing but the row to say it is ours. The plan
takes such an effect over first (links the Okta user, with the memberships its create body
gave), then plans the identity as it stands now, as if the link had been saved in time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spokesync.domain import (
    ActionKind,
    IdentityKey,
    Link,
    PendingAction,
    Situation,
    TargetUser,
    login_key,
)
from spokesync.planner.context import Builder, Context


@dataclass(frozen=True, slots=True)
class Orphan:
    """An Okta user an interrupted create made for one identity and nobody has linked."""

    user: TargetUser
    entry: PendingAction


def claim_orphans(ctx: Context) -> tuple[dict[IdentityKey, Orphan], dict[IdentityKey, str]]:
    """The orphans of :func:`find_orphans`, each counted as its identity's Okta user from now
    on (no other identity correlates to it), and the disputes."""
    orphans, disputes = find_orphans(ctx.inp.pending, ctx.by_login, ctx.owner, ctx.inp.links)
    for key, orphan in orphans.items():
        ctx.owner.setdefault(orphan.user.id, key)
    return orphans, disputes


def find_orphans(
    pending: Iterable[PendingAction],
    by_login: Mapping[str, TargetUser],
    owner: Mapping[str, IdentityKey],
    links: Mapping[IdentityKey, Link],
) -> tuple[dict[IdentityKey, Orphan], dict[IdentityKey, str]]:
    """identity -> the one unlinked Okta user its interrupted creates made; and identity ->
    why none is linked: two candidates (two such users, or a link already), or a user that
    the interrupted creates of several identities may have made (whose it is, nobody knows)."""
    made: dict[IdentityKey, dict[str, Orphan]] = {}
    claimants: dict[str, set[IdentityKey]] = defaultdict(set)
    for entry in pending:
        if entry.action is not ActionKind.CREATE_USER or not entry.login:
            continue
        user = by_login.get(login_key(entry.login))
        if user is None or user.id in owner:
            continue
        made.setdefault(entry.identity, {}).setdefault(user.id, Orphan(user, entry))
        claimants[user.id].add(entry.identity)
    orphans: dict[IdentityKey, Orphan] = {}
    disputes: dict[IdentityKey, str] = {}
    for key, found in sorted(made.items()):
        ids = ", ".join(sorted(found))
        others = sorted({k for okta_id in found for k in claimants[okta_id]} - {key})
        link = links.get(key)
        if link is not None:
            disputes[key] = (
                f"linked to Okta user {link.okta_id}, but a run that stopped midway also "
                f"created Okta user {ids} for it; nothing linked: delete the extra user in Okta"
            )
        elif len(found) > 1:
            disputes[key] = (
                f"runs that stopped midway created Okta users {ids} for it; nothing linked: "
                "delete the extra users in Okta"
            )
        elif others:
            disputes[key] = (
                f"Okta user {ids} was created by a run that stopped midway, for this identity "
                f"or for {', '.join(others)}; nothing linked: delete it in Okta or resolve "
                "the logins in Auth0"
            )
        else:
            orphans[key] = next(iter(found.values()))
    return orphans, disputes


def adopt_orphan(ctx: Context, key: IdentityKey, orphan: Orphan, out: Builder) -> Link:
    """Link the Okta user an interrupted create made: it is ours, and so are the bound
    memberships its create body gave. Returns the link as apply will store it."""
    user = orphan.user
    granted = tuple(sorted(ctx.members_of_bound(user.id)))
    out.act(
        ActionKind.LINK,
        key,
        Situation.UNLINKED,
        f"Okta user {user.id} was created by run {orphan.entry.run_id}, which stopped before "
        "storing the link; linking it instead of creating a second user",
        okta_id=user.id,
        profile=dict(user.profile),
        group_ids=granted,
        detail={"login": user.login, "origin": "created"},
    )
    return Link(
        identity=key,
        okta_id=user.id,
        login=user.login,
        origin="created",
        profile=user.profile,
        managed_groups=frozenset(granted),
    )


def settle(ctx: Context, key: IdentityKey, link: Link | None, out: Builder) -> None:
    """Decide each interrupted row of ``key``, now that its plan is made (``link``: its link,
    stored or adopted in this plan). A row whose identity the plan held stays open."""
    if key in out.held:
        return
    for entry in ctx.pending_of.get(key, ()):
        okta_id = link.okta_id if link is not None else None
        if entry.action is ActionKind.CREATE_USER:
            made = ctx.by_login.get(login_key(entry.login)) if entry.login else None
            if made is not None and made.id == okta_id:
                out.settle(entry.id, "repaired", made.id)
            else:  # nothing in Okta, or an Okta user another identity is linked to
                out.settle(entry.id, "interrupted")
        elif entry.action is ActionKind.ADD_TO_GROUP:
            member = okta_id in ctx.members.get(entry.group_id or "", frozenset())
            out.settle(entry.id, "repaired" if member else "interrupted")
        else:
            out.settle(entry.id, "repaired" if link is not None else "interrupted")
