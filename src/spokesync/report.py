"""Rendering of plans, run summaries and status: text for people, JSON for machines.

Everything printed passes through :mod:`spokesync.inert`: secrets masked (a secret that found
its way into an error message never reaches a terminal, a log collector or a CI artifact), and
data shown escaped, never read as markup or as terminal controls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from spokesync import inert
from spokesync.domain import GROUP_ACTIONS, PLANNED_GROUP_PREFIX, Action, ActionKind, Notice, Plan
from spokesync.engine import ACTION_COUNTS, RunResult
from spokesync.group_index import GroupIndex
from spokesync.live.cursors import live_status
from spokesync.run_records import outcome_of
from spokesync.store.base import AuditRecord, Leader, RunRecord, Store

_SITUATION_ORDER = ["unmatched", "unlinked", "linked", "gone", "disputed", "-"]


def to_json(data: Any) -> str:
    """JSON text with secrets redacted and non-printing characters escaped (``\\u202e``)."""
    return inert.json_text(data)


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


#: sections of the plan's text, in reading order: situations, then what notices report
#: "groups": the groups a plan creates, renames or adopts for organizations, ahead of people
_SECTIONS = (
    "groups",
    "unmatched",
    "unlinked",
    "linked",
    "gone",
    "disputed",
    "skipped",
    "reported",
    "failed",
)
#: identities shown per section unless ``--limit`` / ``--all`` says otherwise
DEFAULT_LIMIT = 10
#: the longest value a profile change shows (``field: old → new``) before it is cut
_VALUE_WIDTH = 40
#: per-binding columns: summary word, header
_BINDING_COLUMNS = (
    ("added", "+added"),
    ("removed", "−removed"),
    ("created", "new"),
    ("updated", "~updated"),
    ("suspended", "suspended"),
    ("unsuspended", "unsuspended"),
    ("deactivated", "deactivated"),
    ("reactivated", "reactivated"),
    ("deleted", "deleted"),
)
_IDENTITY_WORD = {
    ActionKind.UPDATE_PROFILE: "updated",
    ActionKind.SUSPEND: "suspended",
    ActionKind.UNSUSPEND: "unsuspended",
    ActionKind.DEACTIVATE: "deactivated",
    ActionKind.REACTIVATE: "reactivated",
    ActionKind.DELETE: "deleted",
}


def _short(value: object) -> str:
    return inert.short(value, _VALUE_WIDTH)


def _change_text(action: Action) -> str:
    profile = action.profile or {}
    before = action.before or {}
    return ", ".join(
        f"{inert.show(name)}: {_short(before.get(name))} → {_short(value)}"
        for name, value in profile.items()
    )


def describe_action(action: Action, groups: GroupIndex) -> str:
    """One action in a few words, groups by name: ``+Salesforce Users``, ``update lastName:
    Lee → Li``, ``suspend``. Data in it is inert."""
    kind = action.kind
    if kind is ActionKind.CREATE_USER:
        login = (action.detail or {}).get("login") or (action.profile or {}).get("login")
        joined = "".join(f" +{inert.show(groups.name(g))}" for g in action.group_ids)
        return f"create {_short(login)}{joined}"
    if kind is ActionKind.LINK:
        return f"link to {inert.show(action.okta_id or '?')}"
    if kind is ActionKind.UPDATE_PROFILE:
        return f"update {_change_text(action)}"
    if kind is ActionKind.ADD_TO_GROUP:
        return f"+{inert.show(groups.name(action.group_id or '?'))}"
    if kind is ActionKind.REMOVE_FROM_GROUP:
        return f"−{inert.show(groups.name(action.group_id or '?'))}"
    if kind is ActionKind.LINK_IDP:
        return f"link to IdP {inert.show((action.detail or {}).get('idp_id', '?'))}"
    if kind in GROUP_ACTIONS:
        name = _short((action.detail or {}).get("name"))
        if kind is ActionKind.RENAME_GROUP:
            return f"rename group {_short((action.before or {}).get('name'))} → {name}"
        return f"{kind.value.split('_')[0]} group {name}"
    if kind is ActionKind.WRITE_BACK:
        patch = ", ".join(f"{inert.show(k)}={_short(v)}" for k, v in (action.detail or {}).items())
        return f"write back {patch}"
    return kind.value.replace("_", " ")


@dataclass
class _Section:
    """The identities of one section, each with its actions and notices, in plan order;
    described only when shown (a 100,000-identity plan shows a few lines)."""

    people: dict[str, list[Action | Notice]] = field(default_factory=dict)

    def add(self, identity: str, item: Action | Notice) -> None:
        self.people.setdefault(identity, []).append(item)


def _words(item: Action | Notice, groups: GroupIndex) -> str:
    if isinstance(item, Notice):
        return inert.show(item.reason)
    return describe_action(item, groups)


def _sections(plan: Plan) -> dict[str, _Section]:
    sections: dict[str, _Section] = {}
    for action in plan.actions:
        name = "groups" if action.kind in GROUP_ACTIONS else action.situation.value
        sections.setdefault(name, _Section()).add(action.identity, action)
    for notice in plan.notices:
        name = "disputed" if notice.kind == "disputed" else notice.kind
        sections.setdefault(name, _Section()).add(notice.identity, notice)
    return sections


def binding_rows(plan: Plan, groups: GroupIndex) -> list[dict[str, Any]]:
    """Per bound group, the people the plan adds, removes, creates, updates, suspends, ...

    Each count is of people: a person updated and suspended counts once in each column.
    """
    people: dict[str, dict[str, set[str]]] = {
        b.group_id: {word: set() for word, _ in _BINDING_COLUMNS} for b in groups.bindings
    }
    for action in plan.actions:
        if action.kind is ActionKind.ADD_TO_GROUP and action.group_id in people:
            people[action.group_id]["added"].add(action.identity)
        elif action.kind is ActionKind.REMOVE_FROM_GROUP and action.group_id in people:
            people[action.group_id]["removed"].add(action.identity)
        elif action.kind is ActionKind.CREATE_USER:
            for group in action.group_ids:
                if group in people:
                    people[group]["added"].add(action.identity)
                    people[group]["created"].add(action.identity)
        word = _IDENTITY_WORD.get(action.kind)
        if word is not None:
            for group in groups.of_identity.get(action.identity, ()):
                if group in people:
                    people[group][word].add(action.identity)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for binding in groups.bindings:
        if binding.group_id in seen:
            continue
        seen.add(binding.group_id)
        counts = {word: len(ids) for word, ids in people[binding.group_id].items()}
        rows.append({"group": binding.group_name, "group_id": binding.group_id, **counts})
    return rows


def _binding_table(plan: Plan, groups: GroupIndex) -> Table | None:
    rows = binding_rows(plan, groups)
    if not rows:
        return None
    shown = [
        (word, header)
        for word, header in _BINDING_COLUMNS
        if word in ("added", "removed") or any(row[word] for row in rows)
    ]
    table = Table(
        title="per group (people)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
    )
    # The name with the id below it: the table keeps to 80 columns with every count shown.
    table.add_column("group (id)", overflow="fold", max_width=24)
    for _, header in shown:
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for row in rows:
        table.add_row(
            inert.cell(row["group"]) + Text("\n") + _group_id_cell(row["group_id"]),
            *(_count(row[word], word) for word, _ in shown),
        )
    return table


def _group_id_cell(group_id: str) -> Text:
    """The group's Okta id, or "(new group)" for one the plan creates (it has no id yet)."""
    if group_id.startswith(PLANNED_GROUP_PREFIX):
        return Text("(new group)", "dim")
    return inert.cell(group_id, "dim")


def _count(value: int, word: str) -> str:
    if not value:
        return "0"
    return {"added": f"+{value:,}", "removed": f"−{value:,}", "updated": f"~{value:,}"}.get(
        word, f"{value:,}"
    )


def print_result(console: Console, result: RunResult, *, limit: int | None = DEFAULT_LIMIT) -> None:
    """The plan for a person: people per situation, a table per bound group, each identity on
    one line with its actions (at most ``limit`` per section; None shows all), the summary."""
    plan = result.plan
    sections = _sections(plan)
    people = len({a.identity for a in plan.actions if a.kind not in GROUP_ACTIONS})
    group_work = sum(1 for a in plan.actions if a.kind in GROUP_ACTIONS)
    verb = "applied" if result.mode == "sync" else "planned"
    groups_part = (
        f", {group_work:,} group {_plural(group_work, 'change', 'changes')}" if group_work else ""
    )
    console.print(
        inert.cell(
            f"{result.mode} {result.run_id}: {people:,} {_plural(people, 'person', 'people')}"
            " with changes"
            f"{groups_part}, {len(plan.actions):,} actions {verb}"
        )
    )
    table = _binding_table(plan, result.groups)
    if table is not None and plan.actions:
        console.print(table)
    for name in _SECTIONS:
        section = sections.get(name)
        if section is None or not section.people:
            continue
        _print_section(console, name, section, limit, result.groups)
    if not plan.actions and not result.error:
        console.print("Nothing to do: Okta matches the config.")
    print_summary(console, result.summary)
    if result.error:
        console.print(Text("error: ", style="bold red") + inert.cell(result.error))


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _print_section(
    console: Console, name: str, section: _Section, limit: int | None, groups: GroupIndex
) -> None:
    total = len(section.people)
    counted = (
        _plural(total, "organization", "organizations")
        if name == "groups"
        else _plural(total, "person", "people")
    )
    console.print(Text(f"{name} ({total:,} {counted})", "bold"))
    if limit == 0:
        return
    shown = list(section.people.items())[: limit if limit is not None else total]
    width = min(max((len(inert.show(key)) for key, _ in shown), default=0), 44)
    for key, items in shown:
        line = f"  {inert.show(key):<{width}}  {'; '.join(_words(i, groups) for i in items)}"
        console.print(Text(line))
    if total > len(shown):
        console.print(
            Text(f"  … and {total - len(shown):,} more (--limit N or --all; --json for everything)")
        )


def print_summary(console: Console, summary: Mapping[str, Any]) -> None:
    """The run summary: counts, skipped and failed with reasons, API calls, duration."""
    verb = "planned" if summary.get("mode") == "plan" else "done"
    title = inert.show(
        f"run {summary.get('run_id')} ({summary.get('mode')}): {summary.get('outcome')}"
    )
    table = Table(title=Text(title), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("what")
    table.add_column(verb, justify="right")
    for key in (*ACTION_COUNTS, "skipped", "failed"):
        value = summary.get(key, 0)
        if value or key in ("created", "added_to_group", "removed_from_group", "failed"):
            table.add_row(key.replace("_", " "), f"{value:,}" if isinstance(value, int) else "")
    calls = summary.get("api_calls", {})
    for service, count in sorted(calls.items()):
        table.add_row(inert.cell(f"API calls: {service}"), f"{count:,}")
    for service, count in sorted(summary.get("api_429s", {}).items()):
        if count:
            table.add_row(inert.cell(f"API 429s: {service}"), f"{count:,}")
    table.add_row("duration", f"{summary.get('duration_seconds', 0):.2f} s")
    console.print(table)
    reasons = _reason_counts(summary.get("skipped_reasons", []))
    if reasons:
        console.print(Text("skipped:", "bold"))
        for reason, count in reasons:
            console.print(Text(f"  {count:,} × {inert.show(reason)}"))
    failures = summary.get("failures", [])
    if failures:
        console.print(Text("failed:", "bold red"))
        for failure in failures[:50]:
            line = f"  {failure['identity']} ({failure['action']}): {failure['reason']}"
            console.print(inert.cell(line))
        if len(failures) > 50:
            console.print(Text(f"  … and {len(failures) - 50:,} more (--json for all)"))


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
                "outcome": outcome_of(r),
                "requested_by": None if r.requested_by is None else dict(r.requested_by),
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


def short_run_id(run_id: str) -> str:
    """The random tail a person tells runs apart by: ``20261127T041500Z-3f9a1c`` ->
    ``3f9a1c`` (the start time is shown beside it; ``--json`` has the whole id)."""
    stamp, _, tail = run_id.partition("-")
    return tail if len(stamp) == 16 and stamp[8] == "T" and tail else run_id


def ago(moment: str | None, now: datetime) -> str:
    """An ISO time as "42 s ago", "5 min ago", "3 h ago", "2 d ago"; "-" when absent."""
    if not moment:
        return "-"
    try:
        then = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return inert.show(moment)
    seconds = max(0.0, (now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"


def print_status(
    console: Console,
    runs: list[RunRecord],
    situations: Mapping[str, list[dict[str, Any]]],
    live: Mapping[str, Any] | None = None,
    leader: Leader | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """The leader, the last runs in 80 columns (short ids, relative times; ``--json`` has the
    full record), live mode's positions and the identities by situation."""
    now = now or datetime.now(UTC)
    if leader is not None:
        console.print(inert.cell(f"leader: {leader.owner} since {ago(leader.since, now)}"))
    table = Table(title="last runs", title_justify="left", box=box.SIMPLE_HEAD)
    for column, justify in (
        ("run", "left"),
        ("mode", "left"),
        ("started", "left"),
        ("outcome", "left"),
        ("created", "right"),
        ("failed", "right"),
        ("seconds", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for run in runs:
        s = run.summary
        duration = s.get("duration_seconds")
        table.add_row(
            inert.cell(short_run_id(run.id)),
            inert.cell(run.mode),
            ago(run.started_at, now),
            inert.cell(outcome_of(run)),
            inert.cell(s.get("created", "")),
            inert.cell(s.get("failed", "")),
            f"{duration:.1f}" if isinstance(duration, int | float) else "",
        )
    console.print(table)
    if live is not None:
        age = live.get("last_event_age_seconds")
        console.print(
            inert.cell(f"live: last event applied {age if age is not None else '-'} s ago")
        )
        for name, value in live["cursors"].items():
            console.print(inert.cell(f"  {name} = {value}"))
    for situation, rows in situations.items():
        console.print(Text(f"{inert.show(situation)}: {len(rows):,}", "bold"))
        for row in rows[:20]:
            extra = f" (last error: {row['last_error']})" if row.get("last_error") else ""
            line = inert.cell(f"  {row['identity']} -> {row.get('okta_id', '-')}{extra}")
            console.print(line)
        if len(rows) > 20:
            console.print(Text(f"  … and {len(rows) - 20:,} more (--json for all)"))


def audit_json(rows: list[AuditRecord]) -> list[dict[str, Any]]:
    """Journal rows as the JSON objects of ``audit --json`` ``entries``."""
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
            "requested_by": None if r.requested_by is None else dict(r.requested_by),
        }
        for r in rows
    ]
