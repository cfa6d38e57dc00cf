"""Honest run records: a run that did not finish says so, with what it really applied.

A run stopped by a signal, a crash or a lost leadership is recorded ``interrupted`` (or
``fenced``) with the counts of its journal rows that succeeded: the journal is written around
every action, so it knows what reached Okta even when the run's own tally was lost. A run whose
process died without a word (SIGKILL, a lost host) is found by the next run, ``status`` or the
dashboard (:func:`settle`): still without outcome, its process gone. A run in progress has no
outcome yet and is shown ``running`` (:func:`outcome_of`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog

from spokesync.domain import ActionKind
from spokesync.store.base import RunRecord, Store, StoreError

log = structlog.get_logger("spokesync.runs")

#: summary keys of the applied-action counts, in the order a person reads them
COUNTED: Mapping[ActionKind, str] = {
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
ACTION_COUNTS = tuple(COUNTED.values())

RUNNING = "running"
INTERRUPTED = "interrupted"
FENCED = "fenced"
#: every outcome a run record may show
OUTCOMES = (RUNNING, "succeeded", "partial", "failed", "refused", INTERRUPTED, FENCED)


def now_iso() -> str:
    """Now, as run records write times: UTC ISO-8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def outcome_of(run: RunRecord) -> str:
    """The outcome to show: the recorded one, or ``running`` while there is none."""
    return run.outcome or RUNNING


def requester(requested_by: Mapping[str, Any] | None) -> str:
    """Who asked for a run, in a word: the person's email (else their subject), ``token`` for
    the Bearer token, ``loopback`` on an open service; empty for a scheduled or live run."""
    if not requested_by:
        return ""
    return str(requested_by.get("email") or requested_by.get("subject") or "")


def journal_counts(store: Store, run_id: str) -> dict[str, int]:
    """Run ``run_id``'s applied actions by summary key (every key, zero included)."""
    applied = store.applied_counts(run_id)
    return {key: applied.get(kind.value, 0) for kind, key in COUNTED.items()}


def stopped_summary(
    store: Store,
    run_id: str,
    outcome: str,
    error: str,
    summary: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``summary`` (or a bare one) of a run that stopped midway, its counts from the journal.
    If the journal cannot be read either, the counts are those the run made itself."""
    out = dict(summary or {"run_id": run_id})
    with contextlib.suppress(StoreError):
        out.update(journal_counts(store, run_id))
    out.update(outcome=outcome, error=error)
    return out


def applied_phrase(summary: Mapping[str, Any]) -> str:
    """``created 530, added_to_group 2`` or ``nothing``: what a summary says was applied."""
    parts = [f"{key} {summary[key]}" for key in ACTION_COUNTS if summary.get(key)]
    return ", ".join(parts) if parts else "nothing"


def settle(store: Store, by: str = "status") -> list[RunRecord]:
    """Record ``interrupted`` every run whose process is gone without recording how it
    ended; returns those runs. Best effort: a store that cannot be written (read-only, or a
    standby's fenced store) leaves them for another reader, and they still show ``running``."""
    try:
        gone = store.abandoned_runs()
    except StoreError:
        return []
    closed: list[RunRecord] = []
    now = now_iso()
    for run in gone:
        error = (
            f"the process running it ({run.owner or 'unknown'}) stopped before it finished; "
            "the next sync finishes the job"
        )
        summary = stopped_summary(
            store, run.id, INTERRUPTED, error, {**run.summary, "run_id": run.id, "mode": run.mode}
        )
        try:
            if store.close_run(run.id, INTERRUPTED, now, summary):
                closed.append(run)
                log.warning("run found interrupted", run_id=run.id, found_by=by, owner=run.owner)
        except StoreError:
            return closed
    return closed
