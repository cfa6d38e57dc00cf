"""Planning an identity that has a link: keep it in scope (profile, groups, status), or
deprovision it when blocked or gone, and respect what the hub decided in Okta."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from spokesync.domain import (
    ActionKind,
    IdentityKey,
    Link,
    Situation,
    SourceUser,
    TargetUser,
    login_key,
)
from spokesync.mapping import Unmappable
from spokesync.planner.changes import INACTIVE, decided_elsewhere, profile_changes
from spokesync.planner.context import Builder, Context


def plan_linked_identity(ctx: Context, key: IdentityKey, link: Link, out: Builder) -> None:
    target = ctx.inp.target
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
        out.notice(key, Situation.LINKED, f"Okta user {link.okta_id} could not be read", "skipped")
        out.hold(key)
        return
    user = ctx.inp.source.profiles.get(key)
    groups = ctx.desired.get(key, frozenset())
    deleted = key in ctx.inp.source.deleted
    if decided_elsewhere(link, okta_user):
        _hub_decided(ctx, key, link, okta_user, out, write_back=not deleted)
        interrupted = ctx.pending_groups.get(key, set())
        _record_interrupted(ctx, key, link, link.source, interrupted & groups, out)
        for group in sorted(ctx.ours(key, link) - groups):
            leave_group(ctx, key, link, link.source, group, Situation.GONE, out)
        return
    if deleted or not groups:
        _plan_gone(ctx, key, link, okta_user, deleted, out)
        return
    if user is None:
        out.notice(
            key,
            Situation.LINKED,
            "the Auth0 profile could not be read; retried next run",
            "skipped",
        )
        out.hold(key)
        return
    if user.blocked:
        # Memberships stay while blocked: the ones an interrupted run added become managed,
        # so that leaving the role later takes them back.
        _record_interrupted(ctx, key, link, user.source, ctx.pending_groups.get(key, ()), out)
        plan_blocked(ctx, key, link, okta_user, out)
        return
    _plan_in_scope(ctx, key, link, okta_user, user, groups, out)


def _plan_in_scope(
    ctx: Context,
    key: IdentityKey,
    link: Link,
    okta_user: TargetUser,
    user: SourceUser,
    groups: frozenset[str],
    out: Builder,
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
        _write_back(ctx, key, link, "active", situation, out, restore=True)
    # A shared Okta user's profile follows its first identity, or two would flip-flop.
    sharers = [k for k in ctx.co_owners(key, link) if ctx.in_scope(k)]
    if key == min([key, *sharers]):
        mapped = ctx.mapped(user)
        if isinstance(mapped, Unmappable):
            out.notice(key, situation, f"profile not updated: {mapped.reason}", "skipped")
        elif not _plan_profile(ctx, key, link, okta_user, mapped.profile, out):
            return
    interrupted = ctx.pending_groups.get(key, set())
    for group in sorted(groups):
        reason = ctx.role_phrase(user.source, group)
        if link.okta_id in ctx.members.get(group, frozenset()):
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
    for group in sorted(ctx.ours(key, link) - groups):
        leave_group(ctx, key, link, user.source, group, situation, out)
    idp_link(ctx, key, user.source, link.okta_id, link.idp_linked, situation, out)


def _plan_profile(
    ctx: Context,
    key: IdentityKey,
    link: Link,
    okta_user: TargetUser,
    mapped: Mapping[str, object],
    out: Builder,
) -> bool:
    """Plan the profile update; False when the identity is disputed and must be left alone."""
    policy = ctx.policy
    if not policy.login_follows_email:
        mapped = {k: v for k, v in mapped.items() if k != "login"}
    changed = profile_changes(mapped, okta_user.profile, keep_login_case=True)
    if not changed:
        return True
    new_login = changed.get("login")
    if new_login is not None:
        holder = ctx.by_login.get(login_key(str(new_login)))
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
    if drifted and policy.on_profile_drift == "report":
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
    if drifted and policy.on_profile_drift == "overwrite":
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


def _record_interrupted(
    ctx: Context,
    key: IdentityKey,
    link: Link,
    source: str,
    groups: Iterable[str],
    out: Builder,
) -> None:
    """Record as managed the ``groups`` an interrupted run added (Okta has the membership,
    the link does not): adding again is a no-op in Okta, and apply records it."""
    for group in sorted(groups):
        if group in link.managed_groups or link.okta_id not in ctx.members.get(group, ()):
            continue
        out.act(
            ActionKind.ADD_TO_GROUP,
            key,
            Situation.LINKED,
            f"{ctx.role_phrase(source, group)}; added by a run that stopped midway, "
            "recording it as managed",
            okta_id=link.okta_id,
            group_id=group,
        )


def plan_blocked(
    ctx: Context, key: IdentityKey, link: Link, okta_user: TargetUser, out: Builder
) -> None:
    """Deprovision the Okta user of a blocked identity as ``on_blocked`` says."""
    if ctx.policy.on_blocked == "none" or link.deprovisioned:
        return
    if any(ctx.in_scope(other) for other in ctx.co_owners(key, link)):
        return
    if okta_user.status == "ACTIVE":
        out.act(
            ActionKind.SUSPEND,
            key,
            Situation.GONE,
            "blocked in Auth0 (on_blocked = suspend)",
            okta_id=link.okta_id,
        )
    elif okta_user.status not in INACTIVE:
        # Okta suspends only ACTIVE users; a user who never finished activation is deactivated.
        out.act(
            ActionKind.DEACTIVATE,
            key,
            Situation.GONE,
            f"blocked in Auth0 and {okta_user.status} in Okta, which cannot be suspended",
            okta_id=link.okta_id,
        )


def _plan_gone(
    ctx: Context,
    key: IdentityKey,
    link: Link,
    okta_user: TargetUser,
    deleted: bool,
    out: Builder,
) -> None:
    scope = (
        "holds no bound role or organization membership any more"
        if any(b.organization_id for b in ctx.inp.bindings)
        else "holds no bound role any more"
    )
    why = "deleted in Auth0" if deleted else scope
    source = link.source
    for group in sorted(ctx.ours(key, link)):
        leave_group(ctx, key, link, source, group, Situation.GONE, out, why=why)
    policy = ctx.policy.on_gone
    status = okta_user.status
    if policy == "none" or link.deprovisioned == "deactivated":
        return
    if any(ctx.in_scope(other) for other in ctx.co_owners(key, link)):
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
    ctx: Context,
    key: IdentityKey,
    link: Link,
    okta_user: TargetUser,
    out: Builder,
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
        _write_back(ctx, key, link, state, Situation.LINKED, out, restore=False)


def _write_back(
    ctx: Context,
    key: IdentityKey,
    link: Link,
    state: str,
    situation: Situation,
    out: Builder,
    *,
    restore: bool,
) -> None:
    policy = ctx.policy
    body: dict[str, object] = {"app_metadata": {policy.hub_status_key: state}}
    if restore and link.source_blocked_by_us:
        body["blocked"] = False
    elif not restore and policy.block_in_source:
        body["blocked"] = True
    out.act(
        ActionKind.WRITE_BACK,
        key,
        situation,
        f"tell Auth0 the hub status is {state}",
        okta_id=link.okta_id,
        before={policy.hub_status_key: link.hub_status or None},
        detail=body,
    )


def leave_group(
    ctx: Context,
    key: IdentityKey,
    link: Link,
    source: str,
    group: str,
    situation: Situation,
    out: Builder,
    why: str | None = None,
) -> None:
    binding = ctx.role_of.get((source, group))
    if binding is not None and binding.on_leave == "none":
        return
    if link.okta_id not in ctx.members.get(group, frozenset()):
        return
    if any(group in ctx.desired.get(other, ()) for other in ctx.co_owners(key, link)):
        return  # the same person still needs it through another tenant
    if binding is None:
        lost = "no longer holds its role"
    elif binding.organization_gone:
        lost = f"{binding.scope()} is gone"
    elif binding.organization_id and not binding.role_id:
        lost = f"no longer a member of {binding.scope()}"
    else:
        lost = f"no longer holds {binding.scope()}"
    out.act(
        ActionKind.REMOVE_FROM_GROUP,
        key,
        situation,
        (why and f"{why}; removing the membership spokesync added")
        or f"{lost}; removing the membership spokesync added",
        okta_id=link.okta_id,
        group_id=group,
    )


def idp_link(
    ctx: Context,
    key: IdentityKey,
    source: str,
    okta_id: str | None,
    linked: bool,
    situation: Situation,
    out: Builder,
) -> None:
    idp = ctx.inp.idp_ids.get(source)
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
