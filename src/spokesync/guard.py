"""The safety guard: refuse a plan that would take too much access away at once.

A misconfigured role, a wrong binding or an outage upstream that returns an empty role must
not empty the hub. The guard counts, per group, the managed members the plan would
deprovision and refuses above ``max_deprovision`` (a share such as "10%" or a count). Below
``deprovision_floor`` (default 5) members a run may always deprovision: a share of a small
group is less than one person, and refusing a pilot's every leaver protects nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from spokesync.domain import ActionKind, Binding, IdentityKey, Link, Plan, SourceView

_LIFECYCLE_LOSS = frozenset({ActionKind.SUSPEND, ActionKind.DEACTIVATE, ActionKind.DELETE})


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the guard refused, per group, in words an operator can act on."""

    reasons: tuple[str, ...]

    def message(self) -> str:
        return (
            "refused by the deprovisioning guard: "
            + "; ".join(self.reasons)
            + (
                ". Check the role and the binding; if this is intended, an approver applies "
                "the kept plan on the dashboard, or rerun with --force (or raise "
                "policy.max_deprovision)."
            )
        )


def threshold(max_deprovision: str, managed: int, floor: int = 0) -> float:
    """How many of ``managed`` members one run may deprovision: ``max_deprovision`` of them,
    and never fewer than ``floor``."""
    text = max_deprovision.strip()
    share = managed * float(text[:-1]) / 100 if text.endswith("%") else float(text)
    return max(share, float(floor))


def check(
    plan: Plan,
    links: Mapping[IdentityKey, Link],
    bindings: tuple[Binding, ...],
    source: SourceView,
    max_deprovision: str,
    *,
    floor: int = 0,
    targeted: bool = False,
) -> Refusal | None:
    """None when the plan is within bounds, else the refusal.

    ``floor``: a group may always lose up to that many managed members (an empty role
    included: a role of a few people may be emptied on purpose). A targeted run (``sync
    --user``, live mode) reads the roles of a few identities only, so its member sets say
    nothing about a role being empty: that check is for full runs.
    """
    managed: dict[str, set[IdentityKey]] = defaultdict(set)
    for key, link in links.items():
        for group in link.managed_groups:
            managed[group].add(key)
    for action in plan.actions:
        if action.kind is ActionKind.LINK:  # memberships this plan adopts as ours
            for group in action.group_ids:
                managed[group].add(action.identity)
    # The groups of organizations deleted in Auth0 (confirmed one by one: a 404 on the
    # organization itself, not an absence from a listing) empty by design: not counted.
    emptied = {b.group_id for b in bindings if b.organization_gone} - {
        b.group_id for b in bindings if not b.organization_gone
    }
    losing: dict[str, set[IdentityKey]] = defaultdict(set)
    for action in plan.actions:
        if action.group_id in emptied:
            continue
        if action.kind is ActionKind.REMOVE_FROM_GROUP and action.group_id:
            losing[action.group_id].add(action.identity)
        elif action.kind in _LIFECYCLE_LOSS:
            held = links.get(action.identity)
            for group in held.managed_groups if held else ():
                losing[group].add(action.identity)
    reasons: list[str] = []
    for binding in () if targeted else bindings:
        if binding.organization_gone:
            continue
        members = source.members.get(binding.member_key, frozenset())
        have = len(managed.get(binding.group_id, ()))
        if not members and have > floor:
            reasons.append(
                f"{binding.scope()} ({binding.source}) is empty but "
                f"group {binding.group_name or binding.group_id} has {have} managed members"
            )
    for group, keys in sorted(losing.items()):
        have = len(managed.get(group, ()))
        limit = threshold(max_deprovision, have, floor)
        if len(keys) > limit:
            name = next(
                (b.group_name for b in bindings if b.group_id == group and b.group_name), group
            )
            reasons.append(
                f"would deprovision {len(keys)} of {have} managed members of group {name} "
                f"(limit {max_deprovision}, at least {floor})"
            )
    unique = tuple(dict.fromkeys(reasons))
    return Refusal(unique) if unique else None
