"""The planner's entry: classify each identity in sorted order and plan it."""

from __future__ import annotations

from spokesync.domain import GROUP_ACTIONS, Plan, Situation
from spokesync.planner.activation import activation_notices
from spokesync.planner.context import Builder, Context, PlanInput, desired_groups, group_roles
from spokesync.planner.groups import plan_groups
from spokesync.planner.interrupted import adopt_orphan, claim_orphans, settle
from spokesync.planner.linked import plan_linked_identity
from spokesync.planner.unlinked import plan_unlinked_identity


def plan(inp: PlanInput) -> Plan:
    """Compute the plan. Deterministic: identities are visited in sorted order."""
    desired = desired_groups(inp.bindings, inp.source)
    role_of = group_roles(inp.bindings)
    # Every identity an interrupted run left a row for is visited, in scope or not, so that
    # the plan decides each row (an out-of-scope identity's link row too).
    interrupted = {p.identity for p in inp.pending if p.action not in GROUP_ACTIONS}
    keys = sorted(set(desired) | set(inp.links) | interrupted)
    if inp.only is not None:
        keys = [k for k in keys if k in inp.only]
    ctx = Context(inp, desired, role_of)
    orphans, disputes = claim_orphans(ctx)
    out = Builder()
    plan_groups(ctx, out)  # first: memberships in a group the plan creates come after it
    activation_notices(ctx, (k for k in keys if k not in inp.quarantined), out)
    for key in keys:
        if key in inp.quarantined:
            out.notice(
                key,
                None,
                f"quarantined after repeated failures ({inp.quarantined[key]}); "
                "run `spokesync sync --retry-quarantined` once fixed",
                "quarantined",
            )
            continue
        link = inp.links.get(key)
        if key in disputes:
            out.notice(key, Situation.DISPUTED, disputes[key], "disputed")
            out.hold(key)
            if link is None:
                continue
        elif key in orphans:
            # What an interrupted create made is taken over first; then the identity is
            # planned as it stands, whatever that is (gone, blocked, renamed, unmappable).
            link = adopt_orphan(ctx, key, orphans[key], out)
        if link is None:
            plan_unlinked_identity(ctx, key, out)
        else:
            plan_linked_identity(ctx, key, link, out)
        settle(ctx, key, link, out)
    return Plan(tuple(out.actions), tuple(out.notices), out.settled)
