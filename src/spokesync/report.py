"""Rendering of plans, run summaries and status: text for people, JSON for machines.

Everything printed passes through :func:`spokesync.redact.redact`, so a secret that found its
way into an error message still never reaches a terminal, a log collector or a CI artifact.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from spokesync.domain import Action, Notice
from spokesync.engine import RunResult
from spokesync.live.cursors import live_status
from spokesync.redact import redact
from spokesync.store.base import AuditRecord, Leader, RunRecord, Store

_SITUATION_ORDER = ["unmatched", "unlinked", "linked", "gone", "disputed", "-"]


def to_json(data: Any) -> str:
    """JSON text with secrets redacted."""
    return redact(json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False))


def result_json(result: RunResult) -> dict[str, Any]:
    """The ``plan --json`` / ``sync --json`` object (contract: ``actions`` and ``summary``)."""
    actions = [a.describe() for a in result.plan.actions]
    if result.mode == "sync":
        status = {id(o.action): o for o in result.outcomes}
        for described, action in zip(actions, result.plan.actions, strict=True):
            outcome = status.get(id(action))
            described["status"] = outcome.status if outcome else "not applied"
            if outcome and outcome.error:
                described["error"] = outcome.error
    return {
        "run_id": result.run_id,
        "mode": result.mode,
        "actions": actions,
        "notices": [n.describe() for n in result.plan.notices],
        "summary": result.summary,
        "error": result.error,
    }


def _by_situation(actions: Iterable[Action], notices: Iterable[Notice]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for action in actions:
        target = f" -> {action.group_id}" if action.group_id else ""
        grouped[action.situation.value].append(
            f"{action.kind.value:<18} {action.identity}{target}: {action.reason}"
        )
    for notice in notices:
        situation = notice.situation.value if notice.situation else "-"
        grouped[situation].append(f"{notice.kind:<18} {notice.identity}: {notice.reason}")
    return grouped


def print_result(console: Console, result: RunResult, *, verbose_limit: int = 200) -> None:
    """The plan grouped by situation, then the summary table."""
    grouped = _by_situation(result.plan.actions, result.plan.notices)
    for situation in _SITUATION_ORDER:
        lines = grouped.get(situation)
        if not lines:
            continue
        label = "other" if situation == "-" else situation
        if verbose_limit <= 0:
            continue
        console.print(f"[bold]{label}[/bold] ({len(lines)})", highlight=False)
        for line in lines[:verbose_limit]:
            console.print("  " + redact(line), highlight=False, markup=False)
        if len(lines) > verbose_limit:
            console.print(f"  ... and {len(lines) - verbose_limit} more (use --json for all)")
    if not result.plan.actions and not result.error:
        console.print("Nothing to do: Okta matches the config.")
    print_summary(console, result.summary)
    if result.error:
        console.print(f"[bold red]error:[/bold red] {redact(result.error)}", highlight=False)


def print_summary(console: Console, summary: Mapping[str, Any]) -> None:
    """The run summary: counts, skipped and failed with reasons, API calls, duration."""
    verb = "planned" if summary.get("mode") == "plan" else "done"
    table = Table(
        title=f"run {summary.get('run_id')} ({summary.get('mode')}): {summary.get('outcome')}"
    )
    table.add_column("what")
    table.add_column(verb, justify="right")
    for key in (
        "created",
        "linked",
        "updated",
        "added_to_group",
        "removed_from_group",
        "suspended",
        "unsuspended",
        "deactivated",
        "reactivated",
        "deleted",
        "unlinked",
        "idp_linked",
        "written_back",
        "groups_created",
        "groups_renamed",
        "groups_adopted",
        "skipped",
        "failed",
    ):
        value = summary.get(key, 0)
        if value or key in (
            "created",
            "linked",
            "added_to_group",
            "removed_from_group",
            "skipped",
            "failed",
        ):
            table.add_row(key.replace("_", " "), str(value))
    calls = summary.get("api_calls", {})
    for service, count in sorted(calls.items()):
        table.add_row(f"API calls: {service}", str(count))
    for service, count in sorted(summary.get("api_429s", {}).items()):
        table.add_row(f"API 429s: {service}", str(count))
    table.add_row("duration", f"{summary.get('duration_seconds', 0):.2f} s")
    console.print(table)
    reasons = _reason_counts(summary.get("skipped_reasons", []))
    if reasons:
        console.print("[bold]skipped[/bold]:")
        for reason, count in reasons:
            console.print(f"  {count} x {redact(reason)}", highlight=False, markup=False)
    failures = summary.get("failures", [])
    if failures:
        console.print("[bold red]failed[/bold red]:")
        for failure in failures[:50]:
            line = f"  {failure['identity']} ({failure['action']}): {failure['reason']}"
            console.print(redact(line), highlight=False, markup=False)


def _reason_counts(notices: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for notice in notices:
        counts[f"{notice['kind']}: {_generic(str(notice['reason']))}"] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _generic(reason: str) -> str:
    """Fold per-user details out of a reason so similar skips group together."""
    return reason.split(":", 1)[0] if reason.count(":") and len(reason) > 80 else reason


def situations(store: Store) -> dict[str, list[dict[str, Any]]]:
    """The identities of ``status``, grouped by situation, with streaks and last errors."""
    failures = store.failures()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for key, link in sorted(store.load_links().items()):
        situation = "gone" if link.deprovisioned or not link.managed_groups else "linked"
        row: dict[str, Any] = {
            "identity": key,
            "okta_id": link.okta_id,
            "login": link.login,
            "groups": sorted(link.managed_groups),
            "origin": link.origin,
        }
        if link.deprovisioned:
            row["deprovisioned"] = link.deprovisioned
        if key in failures:
            row["failures"], row["last_error"] = failures[key]
        grouped.setdefault(situation, []).append(row)
    runs = store.recent_runs(1)
    if runs:
        for notice in runs[0].summary.get("skipped_reasons", []):
            situation = notice.get("situation") or notice.get("kind", "skipped")
            grouped.setdefault(str(situation), []).append(
                {"identity": notice["identity"], "kind": notice["kind"], "reason": notice["reason"]}
            )
    linked = {row["identity"] for rows in grouped.values() for row in rows}
    for key, (streak, reason) in sorted(failures.items()):
        if key not in linked:
            grouped.setdefault("failing", []).append(
                {"identity": key, "failures": streak, "last_error": reason}
            )
    return grouped


def status_json(
    runs: list[RunRecord],
    situations: Mapping[str, list[dict[str, Any]]],
    live: Mapping[str, Any] | None = None,
    leader: Leader | None = None,
) -> dict[str, Any]:
    """The object ``status --json`` prints (and the service's ``GET /api/status``); ``live``
    only once live mode has run."""
    return {
        "leader": None if leader is None else {"owner": leader.owner, "since": leader.since},
        "runs": [
            {
                "run_id": r.id,
                "mode": r.mode,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "outcome": r.outcome,
                "summary": {k: v for k, v in r.summary.items() if k not in ("skipped_reasons",)},
            }
            for r in runs
        ],
        "identities": situations,
        **({"live": dict(live)} if live is not None else {}),
    }


def status_of(
    store: Store, sources: Iterable[str], now: datetime, runs: int = 10
) -> dict[str, Any]:
    """:func:`status_json` of the last ``runs`` runs, every identity in ``store``, the live
    positions of ``sources`` and the leader."""
    return status_json(
        store.recent_runs(runs), situations(store), live_status(store, sources, now), store.leader()
    )


def print_status(
    console: Console,
    runs: list[RunRecord],
    situations: Mapping[str, list[dict[str, Any]]],
    live: Mapping[str, Any] | None = None,
    leader: Leader | None = None,
) -> None:
    if leader is not None:
        console.print(
            redact(f"leader: {leader.owner} since {leader.since}"), highlight=False, markup=False
        )
    table = Table(title="last runs")
    for column in ("run", "mode", "started", "outcome", "created", "failed", "seconds"):
        table.add_column(column)
    for run in runs:
        s = run.summary
        table.add_row(
            run.id,
            run.mode,
            run.started_at,
            str(run.outcome),
            str(s.get("created", "")),
            str(s.get("failed", "")),
            str(s.get("duration_seconds", "")),
        )
    console.print(table)
    if live is not None:
        age = live.get("last_event_age_seconds")
        console.print(
            f"live: last event applied {age if age is not None else '-'} s ago",
            highlight=False,
            markup=False,
        )
        for name, value in live["cursors"].items():
            console.print(f"  {name} = {value}", highlight=False, markup=False)
    for situation, rows in situations.items():
        console.print(f"[bold]{situation}[/bold]: {len(rows)}")
        for row in rows[:20]:
            extra = f" (last error: {row['last_error']})" if row.get("last_error") else ""
            console.print(
                redact(f"  {row['identity']} -> {row.get('okta_id', '-')}{extra}"),
                highlight=False,
                markup=False,
            )
        if len(rows) > 20:
            console.print(f"  ... and {len(rows) - 20} more (use --json for all)")


def audit_json(rows: list[AuditRecord]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "run_id": r.run_id,
            "identity": r.identity,
            "action": r.action,
            "okta_id": r.okta_id,
            "status": r.status,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "before": r.before,
            "after": r.after,
            "error": r.error,
        }
        for r in rows
    ]
