"""Which bound groups the identities of a plan belong to, and the groups' names.

The plan names groups by id; a person reads names. A plan's report counts, per binding, the
people it adds, removes, updates or suspends, so it needs each planned identity's groups: the
groups spokesync manages for it, the groups its roles bind it to, and the groups its actions
name. Pure: built from what observe read, for the planned identities only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from spokesync.domain import Binding, IdentityKey, Link, Plan, SourceView, identity_key


@dataclass(frozen=True)
class GroupIndex:
    """Bound groups by id (with their names) and the groups of each planned identity."""

    #: group id -> group name, for every bound group
    names: Mapping[str, str] = field(default_factory=dict)
    #: the run's bindings, in config order
    bindings: tuple[Binding, ...] = ()
    #: identity -> the bound groups it is (or is to be) a member of, for planned identities
    of_identity: Mapping[IdentityKey, frozenset[str]] = field(default_factory=dict)

    def name(self, group_id: str) -> str:
        """The group's name, or its id when unknown."""
        return self.names.get(group_id) or group_id


def group_index(
    plan: Plan,
    bindings: tuple[Binding, ...],
    links: Mapping[IdentityKey, Link],
    source: SourceView,
) -> GroupIndex:
    """The :class:`GroupIndex` of ``plan``'s identities."""
    planned = {a.identity for a in plan.actions}
    groups: dict[IdentityKey, set[str]] = {key: set() for key in planned}
    for key in planned:
        link = links.get(key)
        if link is not None:
            groups[key].update(link.managed_groups)
    for binding in bindings:
        for user_id in source.members.get(binding.member_key, frozenset()):
            key = identity_key(binding.source, user_id)
            if key in groups:
                groups[key].add(binding.group_id)
    for action in plan.actions:
        if action.group_id:
            groups[action.identity].add(action.group_id)
        groups[action.identity].update(action.group_ids)
    names = {b.group_id: b.group_name for b in bindings}
    return GroupIndex(
        names=names,
        bindings=bindings,
        of_identity={k: frozenset(v) for k, v in groups.items()},
    )
