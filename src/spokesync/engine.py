"""A run: observe -> plan -> guard -> apply -> record.

``plan`` is the same code path with ``apply=False``: it observes, plans and guards, then
stops. ``sync`` takes the run lock first, so two syncs never apply at once. A targeted run
(``sync --user``, live mode) takes the same path for a set of identities.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from spokesync import group_names, guard, planner, run_errors, run_records, saved_plan
from spokesync.apply import Applier
from spokesync.clients import Clients, TransportFor, open_clients
from spokesync.config import Config
from spokesync.domain import IdentityKey, Notice, Outcome, Plan, identity_key
from spokesync.group_index import GroupIndex, group_index
from spokesync.http import ApiError
from spokesync.observe import Observer, Progress
from spokesync.resolve import ResolveError, resolve_all
from spokesync.saved_plan import PlanDifference, SavedPlan
from spokesync.store.base import LeadershipLost, LockHeld, RunRecord, Store, StoreError

log = structlog.get_logger("spokesync.engine")

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_CONFIG = 2
EXIT_REFUSED = 3
EXIT_LOCKED = 4
EXIT_UNREACHABLE = run_errors.EXIT_UNREACHABLE

#: summary keys of the action counts (defined with the run records, which count the journal)
_COUNTED = run_records.COUNTED
#: The summary's action counts, in reading order.
ACTION_COUNTS = run_records.ACTION_COUNTS


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
    #: the plan in its saved form: with ``keep_plan`` (``plan --out``), or when refused
    saved: SavedPlan | None = field(default=None, repr=False)
    #: applying a saved plan: how the fresh plan differs from it (then nothing was applied)
    difference: PlanDifference | None = field(default=None, repr=False)
    #: runs of other processes this run found abandoned and recorded ``interrupted``
    abandoned: list[RunRecord] = field(default_factory=list, repr=False)
    #: the bound groups' names and the planned identities' groups (for the report)
    groups: GroupIndex = field(default_factory=GroupIndex, repr=False)


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
        #: the result of the last run started, also of one that was interrupted (its
        #: exception propagates; this says what it applied)
        self.last_result: RunResult | None = None

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
        requested_by: Mapping[str, str] | None = None,
        keep_plan: bool = False,
        saved: SavedPlan | None = None,
    ) -> RunResult:
        """One run. Never raises for API or per-identity failures: they land in the result.

        ``only`` limits the run to those identities; ``mode`` names the run in its record
        (default ``sync`` or ``plan``); ``clients`` reuses open clients (live mode keeps its
        own between polls) instead of opening new ones for the run. ``run_id`` is given by a
        caller that announced the run before it started (the service's run queue), and
        ``requested_by`` who asked for it (recorded with the run and each of its audit rows).
        ``keep_plan`` fills ``result.saved`` (``plan --out``); ``saved`` applies only if the
        fresh plan is that saved plan (see :meth:`apply_saved_plan`).
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
        result = RunResult(run_id, mode, EXIT_OK)
        self.last_result = result
        try:
            # Runs whose process died (SIGKILL, a lost host) are recorded as what they are.
            result.abandoned = run_records.settle(self.store, by=run_id)
            self.store.start_run(run_id, mode, _iso(started), requested_by)
        except BaseException:
            if apply:
                with contextlib.suppress(StoreError):
                    self.store.release_lock(owner)
            raise
        calls: dict[str, int] = {}
        rate_limited: dict[str, int] = {}
        #: how the run stopped midway, if it did: "interrupted" or "fenced"
        stopped: str | None = None
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
                        keep_plan=keep_plan,
                        saved=saved,
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
        except ApiError as exc:
            # Which source or org, which config key, what to do; refused credentials and
            # missing scopes are config problems (exit 2), an unreachable service exit 5.
            result.exit_code, result.error = run_errors.explain(exc, self.config)
        except LeadershipLost as exc:
            stopped, result.error = run_records.FENCED, f"this process no longer leads: {exc}"
            raise
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            stopped, result.error = run_records.INTERRUPTED, "the run was interrupted"
            raise
        except BaseException as exc:
            stopped = run_records.INTERRUPTED
            result.error = f"the run crashed: {type(exc).__name__}: {exc}"
            raise
        finally:
            self._record(result, calls, time.perf_counter() - t0, rate_limited, stopped, saved)
            if apply:
                try:
                    self.store.release_lock(owner)
                except StoreError:
                    if stopped is None:
                        raise  # else the next run takes the lock of a process that is gone
        log.info("run finished", run_id=run_id, mode=mode, outcome=result.summary["outcome"])
        return result

    def _record(
        self,
        result: RunResult,
        calls: dict[str, int],
        seconds: float,
        rate_limited: dict[str, int],
        stopped: str | None,
        saved: SavedPlan | None,
    ) -> None:
        """Record how the run ended; a run that stopped midway with the journal's counts (its
        own tally misses what was in flight). A stopped run whose record cannot be written
        (a fenced store refuses every write) is found by the next run as abandoned."""
        result.summary = summarize(result, calls, seconds, rate_limited=rate_limited)
        if saved is not None:
            result.summary["saved_plan"] = saved.run_id
        if stopped is not None:
            result.summary = run_records.stopped_summary(
                self.store, result.run_id, stopped, result.error or stopped, result.summary
            )
            log.warning(
                "run stopped midway",
                run_id=result.run_id,
                outcome=stopped,
                applied=run_records.applied_phrase(result.summary),
            )
        try:
            self.store.finish_run(
                result.run_id, result.summary["outcome"], _iso(self.clock()), result.summary
            )
        except StoreError:
            if stopped is None:
                raise

    async def apply_saved_plan(
        self,
        saved: SavedPlan,
        *,
        guard_approved: bool = True,
        mode: str | None = None,
        run_id: str | None = None,
        requested_by: Mapping[str, str] | None = None,
    ) -> RunResult:
        """Apply ``saved`` (a plan a person reviewed): observe and plan again, and apply only
        if the fresh plan is the saved one. The guard counts as approved by the plan when
        ``guard_approved`` (an approver signed off exactly these actions). Otherwise nothing
        is applied and the result has exit code 3 with ``difference`` (the plan changed) or
        an ``error`` naming the config keys changed since."""
        return await self.run(
            apply=True,
            force=guard_approved,
            mode=mode,
            run_id=run_id,
            saved=saved,
            requested_by=requested_by,
        )

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
        keep_plan: bool = False,
        saved: SavedPlan | None = None,
    ) -> None:
        if saved is not None:
            changed = saved_plan.config_changes(saved, self.config)
            if changed:
                shown = ", ".join(changed[:10]) + (" ..." if len(changed) > 10 else "")
                result.exit_code = EXIT_REFUSED
                result.error = (
                    f"the config changed since plan {saved.run_id} was saved ({shown}); "
                    "nothing was applied: review a new plan (spokesync plan --out FILE)"
                )
                return
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
        if only_user is not None and not _in_scope(only_user, obs.input):
            sources = ", ".join(self.config.sources)
            result.exit_code = EXIT_CONFIG
            result.error = (
                f"sync --user {only_user}: no source ({sources}) has this user in a bound role "
                "or organization, and it was never provisioned; check the Auth0 user_id "
                "(such as auth0|64107988d3)"
            )
            return
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
        # One notice per mapping target Okta cannot hold (left out of the run), instead of a
        # create or update refused per user.
        targets = tuple(Notice(p.key, None, p.notice(), "reported") for p in obs.target_problems)
        if obs.unchecked_targets is not None:
            targets += (Notice("mapping", None, obs.unchecked_targets, "reported"),)
        plan = dataclasses.replace(plan, notices=targets + plan.notices + unreadable)
        result.plan = plan
        result.groups = group_index(plan, bindings, obs.input.links, obs.input.source)
        refusal = guard.check(
            plan,
            obs.input.links,
            bindings,
            obs.input.source,
            self.config.policy.max_deprovision,
            floor=self.config.policy.deprovision_floor,
            targeted=obs.input.only is not None,
        )
        difference = None
        if saved is not None:
            difference = saved_plan.compare(saved, plan, saved_plan.fingerprint(obs.input))
        if keep_plan or (refusal is not None and not force) or difference is not None:
            result.saved = saved_plan.build(
                self.config,
                plan,
                obs.input,
                run_id=result.run_id,
                created_at=_iso(self.clock()),
                guard=None if refusal is None else refusal.message(),
            )
        if difference is not None and result.saved is not None:
            result.exit_code, result.error = EXIT_REFUSED, difference.headline()
            result.difference = difference
            # Kept for a new approval: the plan as it stands now, not the stale one.
            self.store.keep_plan(result.run_id, saved_plan.to_json(result.saved))
            return
        if apply:  # group names for the audit trail and the approvals, refused runs included
            group_names.remember(self.store, bindings)
        if refusal is not None and not force:
            result.exit_code, result.error = EXIT_REFUSED, refusal.message()
            if result.saved is not None:  # for an approver: the unit they sign off
                self.store.keep_plan(result.run_id, saved_plan.to_json(result.saved))
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
        result.outcomes = await _apply_or_drain(applier, plan, result)
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


def _in_scope(user_id: str, observed: planner.PlanInput) -> bool:
    """Whether ``sync --user USER_ID`` names an identity: a bound role's member in some
    source, or one spokesync linked (whatever became of it since)."""
    members = {
        identity_key(src, uid) for (src, _), ids in observed.source.members.items() for uid in ids
    }
    return any(
        key in members or key in observed.links
        for key in (identity_key(b.source, user_id) for b in observed.bindings)
    )


#: Seconds the actions in flight get to return once a run is interrupted.
DRAIN_SECONDS = 10.0


async def _apply_or_drain(applier: Applier, plan: Plan, result: RunResult) -> list[Outcome]:
    """Apply ``plan``; interrupted (SIGINT, SIGTERM), start no new action but let those in
    flight return (up to DRAIN_SECONDS), so that what reached Okta is journaled as done."""
    task = asyncio.ensure_future(applier.apply(plan))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        applier.stop()
        done, _ = await asyncio.wait({task}, timeout=DRAIN_SECONDS)
        if not done:
            task.cancel()
        with contextlib.suppress(BaseException):
            result.outcomes = await task
        raise


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
