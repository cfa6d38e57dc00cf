"""Apply: carry out a plan against Okta (and Auth0 for write-back), journaling every action.

Identities are applied concurrently; one identity's actions run in order. Each action is
journaled before it is sent and after it returns, and the identity's link is saved right
after each action, so a crash at any point leaves a journal row the next run can repair
from (correlation by login), never a second Okta user. A failed action fails only its
identity: the rest of its actions are skipped and the run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from spokesync.clients import Clients
from spokesync.config import PolicyConfig
from spokesync.domain import (
    GROUP_ACTIONS,
    Action,
    ActionKind,
    IdentityKey,
    Link,
    Outcome,
    PendingAction,
    Plan,
    login_key,
)
from spokesync.group_writes import GroupWriter, Unresolved
from spokesync.http import ApiError, LoginTaken, NotFound, UnknownAttribute, is_transient
from spokesync.okta.client import FEDERATION
from spokesync.progress import ProgressFn, no_progress
from spokesync.store.base import Store

Clock = Callable[[], datetime]
Progress = ProgressFn


class ActionFailed(Exception):
    """An action could not be applied; the message is the per-identity reason."""


def _reason(exc: Exception) -> str:
    """The per-identity reason of a failure; a property Okta's schema lacks names the
    mapping rule that wrote it (never a taken login)."""
    if isinstance(exc, UnknownAttribute):
        names = ", ".join(exc.attributes)
        rules = ", ".join(f"mapping.{name}" for name in exc.attributes)
        return (
            f"Okta's user profile does not define {names} ({rules}): add it in Okta "
            f"(Directory > Profile Editor) or remove {rules}; {exc}"
        )
    return str(exc)


class Applier:
    """Applies one plan; holds the links as they change so later actions see earlier ones."""

    def __init__(
        self,
        clients: Clients,
        store: Store,
        links: Mapping[IdentityKey, Link],
        policy: PolicyConfig,
        *,
        run_id: str,
        clock: Clock,
        concurrency: int,
        progress: Progress | None = None,
        pending: tuple[PendingAction, ...] = (),
        failing: frozenset[IdentityKey] = frozenset(),
    ) -> None:
        self.failing = failing
        self.clients = clients
        self.interrupted_creates = {
            (p.identity, login_key(p.login))
            for p in pending
            if p.action is ActionKind.CREATE_USER and p.login
        }
        self.store = store
        self.links: dict[IdentityKey, Link] = dict(links)
        self.policy = policy
        self.run_id = run_id
        self.clock = clock
        self.concurrency = concurrency
        self.progress = progress or no_progress
        self._stopping = False
        self.groups = GroupWriter(clients, store, run_id=run_id, now=self._now)

    async def apply(self, plan: Plan) -> list[Outcome]:
        """Apply every unit of work, ``concurrency`` at a time; outcomes in plan order.

        Group actions go first, one at a time: the memberships that name a group by its
        planned id need the id Okta gives it (:mod:`spokesync.group_writes`).
        """
        self.progress("apply", 0, total=len(plan.actions))
        groups = [a for a in plan.actions if a.kind in GROUP_ACTIONS]
        head = await self.groups.apply(groups) if groups else []
        if head:
            self.progress("apply", len(head))
        units = [
            [self.groups.resolved(a) for a in unit]
            for unit in plan.by_unit().values()
            if unit[0].kind not in GROUP_ACTIONS
        ]
        results: list[list[Outcome]] = [[] for _ in units]
        queue = iter(enumerate(units))

        # A fixed pool of workers pulling units, not one task per unit: a first run over
        # 100,000 identities would otherwise hold 100,000 suspended tasks at once.
        async def worker() -> None:
            for index, actions in queue:
                if self._stopping:
                    return
                results[index] = await self._apply_unit(actions)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(units)))))
        return head + [outcome for group in results for outcome in group]

    def stop(self) -> None:
        """Start no further action (the run was interrupted); those in flight go on."""
        self._stopping = True

    def _now(self) -> str:
        return self.clock().isoformat(timespec="milliseconds").replace("+00:00", "Z")

    async def _apply_unit(self, actions: list[Action | Unresolved]) -> list[Outcome]:
        """One unit's actions in order (usually one identity's); the first failure ends it."""
        outcomes: list[Outcome] = []
        for index, item in enumerate(actions):
            if self._stopping:  # the rest of the unit is for the next run
                outcomes.extend(
                    Outcome(_action(a), "skipped", "the run was interrupted")
                    for a in actions[index:]
                )
                return outcomes
            if isinstance(item, Unresolved):
                outcomes.append(Outcome(item.action, "failed", item.reason))
                outcomes.extend(
                    Outcome(_action(later), "skipped", "an earlier action failed: its group")
                    for later in actions[index + 1 :]
                )
                # Not counted towards quarantine: the group's own failure is reported, and the
                # identity is planned again once the group exists.
                self.progress("apply", len(actions) - index)
                return outcomes
            action = item
            key = action.identity
            link = self.links.get(key)
            okta_id = action.okta_id or (link.okta_id if link else None)
            login = (
                str(action.detail.get("login"))
                if action.detail and "login" in action.detail
                else None
            )
            entry = self.store.journal_start(
                self.run_id, key, action.kind, okta_id, login, action.before, self._now()
            )
            try:
                new_link = await self._execute(action, link)
            except (ApiError, ActionFailed) as exc:
                reason = _reason(exc)
                # A create whose answer was lost may still have reached Okta: its row stays
                # "started", so the next run correlates by login instead of creating again.
                if not (action.kind is ActionKind.CREATE_USER and is_transient(exc)):
                    self.store.journal_finish(entry, "failed", self._now(), okta_id, error=reason)
                self.store.record_failure(key, self.run_id, reason)
                outcomes.append(Outcome(action, "failed", reason, okta_id))
                outcomes.extend(
                    Outcome(
                        _action(later), "skipped", f"an earlier action failed: {action.kind.value}"
                    )
                    for later in actions[index + 1 :]
                )
                self.progress("apply", len(actions) - index)
                return outcomes
            if new_link is None:
                self.links.pop(key, None)
                self.store.delete_link(key)
            else:
                self.links[key] = new_link
                self.store.save_link(new_link)
            done_id = new_link.okta_id if new_link else okta_id
            self.store.journal_finish(
                entry, "succeeded", self._now(), done_id, after=_after(action, new_link)
            )
            outcomes.append(Outcome(action, "succeeded", None, done_id))
            self.progress("apply", 1)
        for key in {_action(a).identity for a in actions} & self.failing:
            self.store.clear_failure(key)
        return outcomes

    async def _execute(self, action: Action, link: Link | None) -> Link | None:
        """Send one action; return the identity's link as it stands afterwards."""
        okta = self.clients.okta
        kind = action.kind
        if kind is ActionKind.CREATE_USER:
            return await self._create(action)
        if kind is ActionKind.LINK:
            assert action.detail is not None
            okta_id = action.okta_id or self._shared_okta_id(action)
            return Link(
                identity=action.identity,
                okta_id=okta_id,
                login=str(action.detail["login"]),
                origin=str(action.detail.get("origin", "linked")),
                # The plan's profile object itself (nobody mutates it): no copy per identity.
                profile=action.profile or {},
                managed_groups=frozenset(action.group_ids),
                created_at=self._now(),
            )
        if link is None:
            raise ActionFailed(f"{kind.value} needs a link, and the identity has none")
        if kind is ActionKind.UPDATE_PROFILE:
            fields = dict(action.profile or {})
            await okta.update_profile(link.okta_id, fields)
            login = str(fields.get("login", link.login))
            return dataclasses.replace(link, profile={**link.profile, **fields}, login=login)
        if kind is ActionKind.ADD_TO_GROUP:
            assert action.group_id is not None
            await okta.add_to_group(action.group_id, link.okta_id)
            return dataclasses.replace(link, managed_groups=link.managed_groups | {action.group_id})
        if kind is ActionKind.REMOVE_FROM_GROUP:
            assert action.group_id is not None
            await okta.remove_from_group(action.group_id, link.okta_id)
            return dataclasses.replace(link, managed_groups=link.managed_groups - {action.group_id})
        if kind is ActionKind.SUSPEND:
            await okta.suspend(link.okta_id)
            return dataclasses.replace(link, deprovisioned="suspended")
        if kind is ActionKind.UNSUSPEND:
            await okta.unsuspend(link.okta_id)
            return dataclasses.replace(link, deprovisioned="")
        if kind is ActionKind.DEACTIVATE:
            await okta.deactivate(link.okta_id)
            return dataclasses.replace(link, deprovisioned="deactivated")
        if kind is ActionKind.REACTIVATE:
            await okta.activate(link.okta_id)
            return dataclasses.replace(link, deprovisioned="")
        if kind is ActionKind.DELETE:
            await okta.delete_user(link.okta_id)
            return None
        if kind is ActionKind.UNLINK:
            return None
        if kind is ActionKind.LINK_IDP:
            assert action.detail is not None
            await okta.link_idp(str(action.detail["idp_id"]), link.okta_id, link.user_id)
            return dataclasses.replace(link, idp_linked=True)
        if kind is ActionKind.WRITE_BACK:
            body = dict(action.detail or {})
            # Deleted in Auth0 meanwhile: there is no one left to tell.
            with contextlib.suppress(NotFound):
                await self.clients.auth0[link.source].patch_user(link.user_id, body)
            state = str(body.get("app_metadata", {}).get(self.policy.hub_status_key, ""))
            blocked = body.get("blocked")
            by_us = link.source_blocked_by_us if blocked is None else bool(blocked)
            return dataclasses.replace(link, hub_status=state, source_blocked_by_us=by_us)
        raise ActionFailed(f"unknown action {kind.value}")

    def _shared_okta_id(self, action: Action) -> str:
        """The Okta user of the identity this one shares a person with (linked earlier)."""
        primary = self.links.get(str((action.detail or {}).get("same_as", "")))
        if primary is None:
            raise ActionFailed("the shared identity it joins has no Okta user yet")
        return primary.okta_id

    async def _create(self, action: Action) -> Link:
        okta = self.clients.okta
        profile = action.profile or {}
        login = str(profile["login"])
        detail = action.detail or {}
        activation = detail.get("activation", "email")
        user_type = detail.get("user_type")
        try:
            user = await okta.create_user(
                dict(profile),
                list(action.group_ids),
                # federated: ACTIVE at once through the IdP; email: PROVISIONED, Okta mails the
                # activation link; staged: STAGED, nothing mailed.
                activate=activation != "staged",
                provider=FEDERATION if activation == "federated" else None,
                user_type=None if user_type is None else str(user_type),
            )
            origin = "created"
        except LoginTaken:
            # Okta already has this login (our search missed it: the index is eventually
            # consistent, or it was created meanwhile). Correlate instead of failing.
            existing = await okta.get_user(login)
            if existing is None:
                raise ActionFailed(
                    f"Okta says login {login} exists but it cannot be read; retried next run"
                ) from None
            owner = next((k for k, v in self.links.items() if v.okta_id == existing.id), None)
            if owner is not None:
                raise ActionFailed(
                    f"login {login} belongs to Okta user {existing.id}, "
                    f"linked to {owner} (disputed)"
                ) from None
            ours = (action.identity, login_key(login)) in self.interrupted_creates
            if self.policy.on_unlinked == "report" and not ours:
                raise ActionFailed(
                    f"Okta user {existing.id} already has login {login}; not linked "
                    "(on_unlinked = report)"
                ) from None
            for group in action.group_ids:
                await okta.add_to_group(group, existing.id)
            user = existing
            origin = "created" if ours else "linked"
        return Link(
            identity=action.identity,
            okta_id=user.id,
            login=user.login or login,
            origin=origin,
            profile=profile,
            managed_groups=frozenset(action.group_ids),
            created_at=self._now(),
        )


def _action(item: Action | Unresolved) -> Action:
    return item.action if isinstance(item, Unresolved) else item


def _after(action: Action, link: Link | None) -> dict[str, Any] | None:
    """The audit row's "after": the changed fields as they now stand."""
    if action.kind in (ActionKind.CREATE_USER, ActionKind.UPDATE_PROFILE, ActionKind.LINK):
        after: dict[str, Any] = dict(action.profile or {})
        if link is not None:
            after["okta_id"] = link.okta_id
        return after
    if action.kind in (ActionKind.ADD_TO_GROUP, ActionKind.REMOVE_FROM_GROUP):
        return {"group_id": action.group_id}
    if action.kind is ActionKind.WRITE_BACK:
        return dict(action.detail or {})
    if link is None:
        return {"link": None}
    return (
        {"deprovisioned": link.deprovisioned}
        if action.kind
        in (
            ActionKind.SUSPEND,
            ActionKind.UNSUSPEND,
            ActionKind.DEACTIVATE,
            ActionKind.REACTIVATE,
        )
        else None
    )
