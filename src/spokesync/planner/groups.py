"""Planning the groups template bindings need: create, rename, adopt, or report (pure).

Group actions come first in the plan and are applied before any membership: a membership in
a group the plan creates names the group by its planned id, which apply replaces with the
id Okta gives. A group is never deleted: the group of a deleted organization is reported
with how many of its members leave it.
"""

from __future__ import annotations

from spokesync.domain import (
    GROUP_ACTIONS,
    ActionKind,
    GroupState,
    GroupStatus,
    Situation,
    group_description,
)
from spokesync.planner.context import Builder, Context


def plan_groups(ctx: Context, out: Builder) -> None:
    """The group actions and notices of the plan, in the order of the states observed."""
    for state in ctx.inp.groups:
        _plan_group(ctx, state, out)
    # Interrupted group actions: a group that is now ours (made, or taken over by this plan)
    # was repaired; any other was not done, and this plan does what is still needed.
    status = {s.key: s.status for s in ctx.inp.groups}
    for entry in ctx.inp.pending:
        if entry.action in GROUP_ACTIONS:
            done = status.get(entry.identity) in (GroupStatus.OURS, GroupStatus.CLAIMABLE)
            out.settle(entry.id, "repaired" if done else "interrupted")
    for key, note in sorted(ctx.inp.organization_notes.items()):
        if ctx.inp.only is None or key in ctx.inp.only:
            out.notice(key, None, note, "reported")


def _plan_group(ctx: Context, state: GroupState, out: Builder) -> None:
    key = state.key
    status = state.status
    detail = {
        "name": state.name,
        "source": state.source,
        "organization_id": state.organization_id,
        "role_id": state.role_id,
    }
    if status is GroupStatus.MISSING:
        out.act(
            ActionKind.CREATE_GROUP,
            key,
            Situation.UNMATCHED,
            f"organization {state.organization_name} has no group yet: create {state.name!r}",
            group_id=state.group_id,
            detail={
                **detail,
                "description": group_description(state.source, state.organization_id),
            },
            unit="groups",
        )
    elif status is GroupStatus.OURS and state.current_name != state.name:
        out.act(
            ActionKind.RENAME_GROUP,
            key,
            Situation.LINKED,
            f"organization {state.organization_name} is now shown as {state.name!r}: "
            f"rename group {state.current_name!r}",
            group_id=state.group_id,
            before={"name": state.current_name},
            detail=detail,
            unit="groups",
        )
    elif status in (GroupStatus.ADOPTABLE, GroupStatus.CLAIMABLE):
        why = (
            "an interrupted run created it"
            if status is GroupStatus.CLAIMABLE
            else "[policy] adopt_groups = true"
        )
        out.act(
            ActionKind.ADOPT_GROUP,
            key,
            Situation.UNLINKED,
            f"group {state.name!r} exists for organization {state.organization_name}: "
            f"recorded as spokesync's ({why})",
            group_id=state.group_id,
            detail={
                **detail,
                "origin": "created" if status is GroupStatus.CLAIMABLE else "adopted",
            },
            unit="groups",
        )
    elif status is GroupStatus.GONE:
        leaving = ctx.members.get(state.group_id, frozenset())
        managed = sum(1 for okta_id in leaving if okta_id in ctx.owner)
        out.notice(key, None, f"{state.detail} ({managed} managed members)", "reported")
    elif status in (GroupStatus.FOREIGN, GroupStatus.UNUSABLE):
        out.notice(key, None, f"organization {state.organization_name}: {state.detail}", "reported")
