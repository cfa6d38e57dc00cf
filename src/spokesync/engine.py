"""A run: observe -> plan -> guard -> apply -> record.

``plan`` is the same code path with ``apply=False``: it observes, plans and guards, then
stops. ``sync`` takes the run lock first, so two syncs never apply at once. A targeted run
(``sync --user``, live mode) takes the same path for a set of identities.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from spokesync import guard, planner
from spokesync.apply import Applier, Outcome
from spokesync.clients import Clients, TransportFor, open_clients
from spokesync.config import Config
from spokesync.domain import ActionKind, IdentityKey, Notice, Plan
from spokesync.http import ApiError, AuthError
from spokesync.observe import Observer, Progress, ResolveError, resolve_all
from spokesync.store.base import LockHeld, Store

log = structlog.get_logger("spokesync.engine")

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_CONFIG = 2
EXIT_REFUSED = 3
EXIT_LOCKED = 4

#: summary keys, in the order a person reads them
_COUNTED = {
    ActionKind.CREATE_USER: "created",
    ActionKind.LINK: "linked",
    ActionKind.UPDATE_PROFILE: "updated",
    ActionKind.ADD_TO_GROUP: "added_to_group",
    ActionKind.REMOVE_FROM_GROUP: "removed_from_group",
    ActionKind.SUSPEND: "suspended",
    ActionKind.UNSUSPEND: "unsuspended",
    ActionKind.DEACTIVATE: "deactivated",
    ActionKind.REACTIVATE: "reactivated",
    ActionKind.DELETE: "deleted",
    ActionKind.UNLINK: "unlinked",
    ActionKind.LINK_IDP: "idp_linked",
    ActionKind.WRITE_BACK: "written_back",
    ActionKind.CREATE_GROUP: "groups_created",
    ActionKind.RENAME_GROUP: "groups_renamed",
    ActionKind.ADOPT_GROUP: "groups_adopted",
}
#: The summary's action counts, in reading order.
ACTION_COUNTS = tuple(_COUNTED.values())


@dataclass
class RunResult:
    """What a run did (or, for ``plan``, would do), ready to render as text or JSON."""

    run_id: str
    mode: str
    exit_code: int
    # Left out of repr: Python 3.11's asyncio.run formats the main task's result with repr
    # (when it checks its SIGINT handler), which for a 100,000-action plan built hundreds
    # of MB of text just to cut it to a few dozen characters.
    plan: Plan = field(default_factory=Plan, repr=False)
    outcomes: list[Outcome] = field(default_factory=list, repr=False)
    summary: dict[str, Any] = field(default_factory=dict, repr=False)
    error: str | None = None


def new_run_id(now: datetime) -> str:
    """Sortable and unique: ``20261127T041500Z-3f9a1c``."""
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


class Engine:
    """Runs plan and sync against the configured source tenants and Okta org."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        transport_for: TransportFor | None = None,
        clock: Callable[[], datetime] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.transport_for = transport_for
        self.clock = clock or (lambda: datetime.now(UTC))
        self.progress = progress

    async def run(
        self,
        *,
        apply: bool,
        force: bool = False,
        only_user: str | None = None,
        retry_quarantined: bool = False,
        only: frozenset[IdentityKey] | None = None,
        mode: str | None = None,
        clients: Clients | None = None,
        run_id: str | None = None,
    ) -> RunResult:
        """One run. Never raises for API or per-identity failures: they land in the result.

        ``only`` limits the run to those identities; ``mode`` names the run in its record
        (default ``sync`` or ``plan``); ``clients`` reuses open clients (live mode keeps its
        own between polls) instead of opening new ones for the run. ``run_id`` is given by a
        caller that announced the run before it started (the service's run queue).
        """
        started = self.clock()
        mode = mode or ("sync" if apply else "plan")
        run_id = run_id or new_run_id(started)
        owner = f"{socket.gethostname()}:{os.getpid()}:{run_id}"
        if apply:
            try:
                self.store.acquire_lock(owner)
            except LockHeld as exc:
                return RunResult(run_id, mode, EXIT_LOCKED, error=str(exc))
        t0 = time.perf_counter()
        self.store.start_run(run_id, mode, _iso(started))
        result = RunResult(run_id, mode, EXIT_OK)
        calls: dict[str, int] = {}
        rate_limited: dict[str, int] = {}
        try:
            async with _opened(self.config, self.transport_for, clients) as open_:
                before = open_.call_counts()
                before_429 = open_.rate_limited_counts()
                before_retries = open_.retry_counts()
                try:
                    await self._run(
                        open_,
                        result,
                        apply=apply,
                        force=force,
                        only_user=only_user,
                        only=only,
                        retry_quarantined=retry_quarantined,
                    )
                finally:
                    calls = _since(before, open_.call_counts())
                    rate_limited = _since(before_429, open_.rate_limited_counts())
                    _log_retries(
                        {
                            service: _since(before_retries.get(service, {}), causes)
                            for service, causes in open_.retry_counts().items()
                        }
                    )
        except ResolveError as exc:
            result.exit_code, result.error = EXIT_CONFIG, str(exc)
        except AuthError as exc:
            # Refused credentials are a config problem: no retry will fix them.
            result.exit_code, result.error = EXIT_CONFIG, f"credentials refused: {exc}"
        except ApiError as exc:
            result.exit_code, result.error = EXIT_PARTIAL, f"the run stopped: {exc}"
        finally:
            result.summary = summarize(
                result, calls, time.perf_counter() - t0, rate_limited=rate_limited
            )
            self.store.finish_run(
                run_id, result.summary["outcome"], _iso(self.clock()), result.summary
            )
            if apply:
                self.store.release_lock(owner)
        log.info("run finished", run_id=run_id, mode=mode, outcome=result.summary["outcome"])
        return result

    async def _run(
        self,
        clients: Any,
        result: RunResult,
        *,
        apply: bool,
        force: bool,
        only_user: str | None,
        only: frozenset[IdentityKey] | None,
        retry_quarantined: bool,
    ) -> None:
        resolution = await resolve_all(self.config, clients, self.store)
        bindings = resolution.bindings
        failing = self.store.failures()
        observer = Observer(
            self.config,
            clients,
            self.store,
            now=self.clock(),
            progress=self.progress,
            only_user=only_user,
            only=only,
            record_profiles=apply,
        )
        obs = await observer.observe(bindings, resolution)
        limit = self.config.policy.quarantine_after
        if limit and not retry_quarantined:
            obs.input = dataclasses.replace(
                obs.input,
                quarantined={k: why for k, (n, why) in failing.items() if n >= limit},
            )
        plan = planner.plan(obs.input)
        unreadable = tuple(
            Notice(k, None, why, "failed") for k, why in sorted(obs.unreadable.items())
        )
        plan = dataclasses.replace(plan, notices=plan.notices + unreadable)
        result.plan = plan
        refusal = guard.check(
            plan,
            obs.input.links,
            bindings,
            obs.input.source,
            self.config.policy.max_deprovision,
            targeted=obs.input.only is not None,
        )
        if refusal is not None and not force:
            result.exit_code, result.error = EXIT_REFUSED, refusal.message()
            return
        if not apply:
            result.exit_code = EXIT_PARTIAL if unreadable else EXIT_OK
            return
        # The cache holds what Auth0 says, not what Okta got: it may be written before apply
        # (a run that stops midway leaves the next one comparing these profiles with Okta).
        self.store.delete_profiles(obs.dropped_profiles)
        pending, cursors = obs.input.pending, obs.cursors
        # Only a run that decided about an interrupted row may close it (the plan says which:
        # not those of identities outside a targeted run, quarantined or disputed, nor those
        # a side could not be read for).
        unreadable_keys = set(obs.unreadable)
        applier = Applier(
            clients,
            self.store,
            obs.input.links,
            self.config.policy,
            run_id=result.run_id,
            clock=self.clock,
            concurrency=self.config.okta.max_concurrency,
            progress=self.progress,
            pending=pending,
            failing=frozenset(failing),
        )
        del obs  # apply needs none of the views: a large first run's memory goes back now
        result.outcomes = await applier.apply(plan)
        # An interrupted row stays open while its identity's repair did not fully succeed, so
        # the next run still knows that the change may have reached Okta.
        unsettled = unreadable_keys | {
            o.action.identity for o in result.outcomes if o.status != "succeeded"
        }
        for entry in pending:
            settled = plan.settled.get(entry.id)
            if settled is None or entry.identity in unsettled:
                continue
            self.store.resolve_pending(
                entry.id, settled.status, _iso(self.clock()), okta_id=settled.okta_id
            )
        for notice in unreadable:
            self.store.record_failure(notice.identity, result.run_id, notice.reason)
        failed = any(o.status == "failed" for o in result.outcomes) or bool(unreadable)
        if not failed:
            for name, value in cursors.items():
                self.store.set_cursor(name, value)
        result.exit_code = EXIT_PARTIAL if failed else EXIT_OK


@asynccontextmanager
async def _opened(
    config: Config, transport_for: TransportFor | None, clients: Clients | None
) -> AsyncIterator[Clients]:
    """``clients`` as given (their owner closes them), or new ones for this run."""
    if clients is not None:
        yield clients
        return
    async with open_clients(config, transport_for) as opened:
        yield opened


def _since(before: Mapping[str, int], now: Mapping[str, int]) -> dict[str, int]:
    """Counts of ``now`` less ``before``: what this run added to clients that may have served
    earlier runs (live mode keeps its clients between polls)."""
    return {k: n - before.get(k, 0) for k, n in now.items()}


def _log_retries(retries: dict[str, dict[str, int]]) -> None:
    """One line per service whose calls were retried: ``auth0: 3 calls retried after 429,
    1 after 503`` (stamina's line per retry is switched off in :mod:`spokesync.logs`)."""
    for service, causes in sorted(retries.items()):
        parts = [f"{n} after {cause}" for cause, n in sorted(causes.items()) if n]
        if not parts:
            continue
        parts[0] = parts[0].replace(" after ", " calls retried after ", 1)
        log.info(f"{service}: " + ", ".join(parts), service=service, retried=causes)


def summarize(
    result: RunResult,
    calls: dict[str, int],
    seconds: float,
    *,
    rate_limited: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Counts of what was done (or planned), skipped and failed, with reasons, API calls
    and the 429 answers among them."""
    applied = result.mode == "sync"
    counts = {name: 0 for name in _COUNTED.values()}
    failures: list[dict[str, str]] = []
    if applied:
        for outcome in result.outcomes:
            if outcome.status == "succeeded":
                counts[_COUNTED[outcome.action.kind]] += 1
            elif outcome.status == "failed":
                failures.append(
                    {
                        "identity": outcome.action.identity,
                        "action": outcome.action.kind.value,
                        "reason": outcome.error or "",
                    }
                )
    else:
        for action in result.plan.actions:
            counts[_COUNTED[action.kind]] += 1
    skipped = [n.describe() for n in result.plan.notices if n.kind != "failed"]
    failures.extend(
        {"identity": n.identity, "action": "observe", "reason": n.reason}
        for n in result.plan.notices
        if n.kind == "failed"
    )
    if result.exit_code == EXIT_REFUSED:
        verdict = "refused"
    elif result.exit_code == EXIT_LOCKED:
        verdict = "locked"
    elif result.error:
        verdict = "failed"
    elif failures:
        verdict = "partial"
    else:
        verdict = "succeeded"
    return {
        "run_id": result.run_id,
        "mode": result.mode,
        "outcome": verdict,
        "planned_actions": len(result.plan.actions),
        **counts,
        "skipped": len(skipped),
        "skipped_reasons": skipped,
        "failed": len({f["identity"] for f in failures}),
        "failures": failures,
        "api_calls": calls,
        "api_429s": rate_limited or {},
        "duration_seconds": round(seconds, 3),
        "error": result.error,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
