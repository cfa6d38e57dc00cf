"""A refused run's kept plan as the dashboard shows it: what approving it would take away,
per group and per kind of deprovisioning, and who."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from spokesync import group_names, saved_plan
from spokesync.store.base import RunRecord, Store

#: Identities listed per group at most (the count says how many more).
SHOWN_PER_GROUP = 50
#: Actions that take something away, shown by what they take.
_DEPROVISION = ("suspend", "deactivate", "delete")


@dataclass(frozen=True, slots=True)
class Removal:
    """What the plan takes from one group (or, for lifecycle actions, from one kind)."""

    what: str
    who: list[str]
    more: int


@dataclass(frozen=True, slots=True)
class Pending:
    """A refused run's kept plan as the dashboard shows it."""

    run_id: str
    guard: str | None
    removals: list[Removal]
    other: list[tuple[str, int]]
    total: int


def _group_label(group_id: str, names: Mapping[str, str]) -> str:
    label = names.get(group_id)
    return f"group {label} ({group_id})" if label else f"group {group_id}"


def describe(saved: saved_plan.SavedPlan, names: Mapping[str, str]) -> Pending:
    """Group a kept plan's actions: removals per group, deprovisions per kind, the rest counted."""
    taken: dict[str, list[str]] = defaultdict(list)
    other: dict[str, int] = defaultdict(int)
    for action in saved.actions:
        kind = str(action.get("action"))
        who = str(action.get("identity"))
        if kind == "remove_from_group" and action.get("group_id"):
            taken[_group_label(str(action["group_id"]), names)].append(who)
        elif kind in _DEPROVISION:
            taken[kind.replace("_", " ")].append(who)
        else:
            other[kind.replace("_", " ")] += 1
    removals = [
        Removal(what, sorted(who)[:SHOWN_PER_GROUP], max(0, len(who) - SHOWN_PER_GROUP))
        for what, who in sorted(taken.items())
    ]
    return Pending(saved.run_id, saved.guard, removals, sorted(other.items()), len(saved.actions))


def pending_approvals(store: Store, runs: list[RunRecord]) -> list[Pending]:
    """The refused runs among ``runs`` that kept a plan and were not approved since; groups by
    the names the applying runs remembered (:mod:`spokesync.group_names`)."""
    approved = {r.summary.get("saved_plan") for r in runs}
    names = group_names.known(store)
    found = []
    for run in runs:
        if run.outcome != "refused" or run.id in approved:
            continue
        try:
            saved = saved_plan.from_store(store, run.id)
        except saved_plan.SavedPlanError:
            continue
        if saved is not None:
            found.append(describe(saved, names))
    return found
