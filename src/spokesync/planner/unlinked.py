"""Planning an identity without a link: create its Okta user, adopt (link) an existing one,
or join the Okta user of the same person in another source. (What an interrupted create
left behind is taken over before, in :mod:`spokesync.planner.interrupted`.)"""

from __future__ import annotations

from collections.abc import Mapping

from spokesync.domain import (
    ActionKind,
    IdentityKey,
    Situation,
    SourceUser,
    TargetUser,
    login_key,
)
from spokesync.mapping import Unmappable
from spokesync.planner.changes import INACTIVE, one_per_source, profile_changes, same_source
from spokesync.planner.context import Builder, Context
from spokesync.planner.linked import idp_link

#: Okta caps ``groupIds`` in a create body at 20; the rest are added one call each.
MAX_CREATE_GROUPS = 20


def plan_unlinked_identity(ctx: Context, key: IdentityKey, out: Builder) -> None:
    groups = ctx.desired.get(key)
    if not groups:
        return
    user = ctx.inp.source.profiles.get(key)
    if key in ctx.inp.source.deleted or user is None:
        out.notice(key, None, "the Auth0 profile could not be read; retried next run", "skipped")
        out.hold(key)
        return
    if user.blocked:
        out.notice(key, None, "blocked in Auth0; not provisioned until unblocked", "skipped")
        return
    mapped = ctx.mapped(user)
    if isinstance(mapped, Unmappable):
        out.notice(key, None, mapped.reason, "skipped")
        return
    if not user.email_verified and not ctx.policy.allow_unverified_email:
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
    rivals = [k for k in ctx.clashes.get(lkey, ()) if k != key]
    existing = ctx.by_login.get(lkey)
    if ctx.shared and rivals and one_per_source([key, *rivals]):
        # One person in several tenants. With an Okta user already there, each identity
        # correlates to it on its own; otherwise the first identity creates it and the
        # others link to it in the same unit of work, right after.
        primary = min([key, *rivals])
        if existing is None and key != primary:
            _join_primary(ctx, key, user.source, primary, login, profile, groups, out)
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
        _create(ctx, key, user, profile, groups, out)
        return
    owners = ctx.owners(existing.id)
    if owners and not (ctx.shared and not same_source(key, owners)):
        out.notice(
            key,
            Situation.DISPUTED,
            f"Okta user {existing.id} with login {existing.login} is already linked to "
            f"{', '.join(owners)}",
            "disputed",
        )
        return
    if existing.status in INACTIVE:
        state = "deactivated" if existing.status == "DEPROVISIONED" else "suspended"
        out.notice(
            key,
            Situation.UNLINKED,
            f"Okta user {existing.id} ({existing.login}) is {state}; spokesync does not "
            f"revive users it did not deprovision: reactivate or delete it in Okta",
            "reported",
        )
        return
    if ctx.policy.on_unlinked == "report":
        out.notice(
            key,
            Situation.UNLINKED,
            f"Okta user {existing.id} already has login {existing.login}; "
            "not linked (on_unlinked = report)",
            "reported",
        )
        return
    _adopt(ctx, key, user, existing, profile, groups, out, shares_with=shares_with)


def _join_primary(
    ctx: Context,
    key: IdentityKey,
    source: str,
    primary: IdentityKey,
    login: str,
    profile: Mapping[str, object],
    groups: frozenset[str],
    out: Builder,
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
    for group in sorted(groups - ctx.desired.get(primary, frozenset())):
        out.act(
            ActionKind.ADD_TO_GROUP,
            key,
            situation,
            ctx.role_phrase(source, group),
            group_id=group,
            unit=primary,
        )


def _create(
    ctx: Context,
    key: IdentityKey,
    user: SourceUser,
    profile: Mapping[str, object],
    groups: frozenset[str],
    out: Builder,
) -> None:
    ordered = sorted(groups)
    in_body = tuple(ordered[:MAX_CREATE_GROUPS])
    # How Okta creates it (and whether Okta mails the person) is part of the plan: shown
    # with the action, and apply reads it from there.
    detail: dict[str, object] = {
        "login": profile["login"],
        "activation": ctx.inp.activations.get(user.source, "email"),
    }
    user_type = ctx.inp.user_types.get(user.source)
    if user_type is not None:
        detail["user_type"] = user_type
    out.act(
        ActionKind.CREATE_USER,
        key,
        Situation.UNMATCHED,
        f"no Okta user has login {profile['login']}; {ctx.roles_phrase(user.source, groups)}",
        profile=profile,
        group_ids=in_body,
        detail=detail,
    )
    for group in ordered[MAX_CREATE_GROUPS:]:
        out.act(
            ActionKind.ADD_TO_GROUP,
            key,
            Situation.UNMATCHED,
            f"{ctx.role_phrase(user.source, group)} (beyond the 20 groups of a create body)",
            group_id=group,
        )
    idp_link(ctx, key, user.source, None, False, Situation.UNMATCHED, out)


def _adopt(
    ctx: Context,
    key: IdentityKey,
    user: SourceUser,
    existing: TargetUser,
    profile: Mapping[str, object],
    groups: frozenset[str],
    out: Builder,
    *,
    shares_with: IdentityKey | None = None,
) -> None:
    """Link to an existing Okta user (correlation).

    ``shares_with`` names the identity whose profile a shared Okta user follows.
    """
    situation = Situation.UNLINKED
    out.act(
        ActionKind.LINK,
        key,
        situation,
        f"Okta user {existing.id} already has login {existing.login} (case-insensitive)",
        okta_id=existing.id,
        profile=profile,
        detail={"login": existing.login, "origin": "linked"},
    )
    changed = profile_changes(profile, existing.profile, keep_login_case=True)
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
        if existing.id not in ctx.members.get(group, frozenset()):
            out.act(
                ActionKind.ADD_TO_GROUP,
                key,
                situation,
                ctx.role_phrase(user.source, group),
                okta_id=existing.id,
                group_id=group,
            )
    idp_link(ctx, key, user.source, existing.id, False, situation, out)
