"""Applying a plan's group actions: create, rename and adopt the groups of template bindings.

They run before every membership, one at a time (a plan holds one per organization at most).
Each is journaled like any action; a created or adopted group is recorded in the store right
after Okta answers, by its organization id, which is how later runs find it (never by name).
A membership naming a planned group id gets the id Okta gave; if the group could not be made,
the membership fails with that reason instead of being sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spokesync.clients import Clients
from spokesync.domain import PLANNED_GROUP_PREFIX, Action, ActionKind, OrganizationGroup, Outcome
from spokesync.http import ApiError
from spokesync.store.base import Store


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A membership in a planned group that was not created: failed without a call."""

    action: Action
    reason: str


class GroupWriter:
    """The group half of apply: writes group actions, then resolves planned group ids."""

    def __init__(self, clients: Clients, store: Store, *, run_id: str, now: Callable[[], str]):
        self.clients = clients
        self.store = store
        self.run_id = run_id
        self.now = now
        #: planned id -> the Okta id of the group made for it
        self.made: dict[str, str] = {}
        #: planned id -> why it could not be made
        self.failed: dict[str, str] = {}

    async def apply(self, actions: Sequence[Action]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for action in actions:
            entry = self.store.journal_start(
                self.run_id, action.identity, action.kind, None, None, action.before, self.now()
            )
            try:
                group_id = await self._execute(action)
            except ApiError as exc:
                reason = f"{action.kind.value} {(action.detail or {}).get('name')!r}: {exc}"
                if action.group_id:
                    self.failed[action.group_id] = reason
                self.store.journal_finish(entry, "failed", self.now(), None, error=reason)
                outcomes.append(Outcome(action, "failed", reason))
                continue
            # The name it has now: the audit reads "name: old → new" for a rename.
            after = {"group_id": group_id, "name": (action.detail or {}).get("name")}
            self.store.journal_finish(entry, "succeeded", self.now(), None, after=after)
            outcomes.append(Outcome(action, "succeeded"))
        return outcomes

    async def _execute(self, action: Action) -> str:
        detail = action.detail or {}
        okta = self.clients.okta
        name = str(detail["name"])
        if action.kind is ActionKind.CREATE_GROUP:
            group = await okta.create_group(name, str(detail["description"]))
            assert action.group_id is not None
            self.made[action.group_id] = group.id
            self._record(action, group.id, "created")
            return group.id
        assert action.group_id is not None
        if action.kind is ActionKind.RENAME_GROUP:
            await okta.rename_group(action.group_id, name)
            return action.group_id
        # ADOPT_GROUP: nothing to send; from now on it is found by its organization id.
        self._record(action, action.group_id, str(detail.get("origin", "adopted")))
        return action.group_id

    def _record(self, action: Action, group_id: str, origin: str) -> None:
        detail = action.detail or {}
        self.store.save_organization_group(
            OrganizationGroup(
                source=str(detail["source"]),
                organization_id=str(detail["organization_id"]),
                role_id=str(detail.get("role_id", "")),
                group_id=group_id,
                origin=origin,
                recorded_at=self.now(),
            )
        )

    def resolved(self, action: Action) -> Action | Unresolved:
        """``action`` with planned group ids replaced by Okta's, or why it cannot be sent."""
        ids = [action.group_id, *action.group_ids]
        if not any(i and i.startswith(PLANNED_GROUP_PREFIX) for i in ids):
            return action
        for planned in ids:
            if planned and planned.startswith(PLANNED_GROUP_PREFIX) and planned not in self.made:
                why = self.failed.get(planned, "the group was not created")
                return Unresolved(action, f"its group could not be created: {why}")
        group_id = self.made.get(action.group_id or "", action.group_id)
        before = action.before
        if before is not None and "group_id" in before:
            before = {**before, "group_id": group_id}
        return dataclasses.replace(
            action,
            group_id=group_id,
            group_ids=tuple(self.made.get(g, g) for g in action.group_ids),
            before=before,
        )
