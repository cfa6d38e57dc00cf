"""The audit log for people and machines: a page of journal rows, newest first.

``audit`` shows what spokesync applied: when, in which run, what, to whom, the groups by name
and each changed field as ``field: old → new``. Group names are those the last applying run
remembered (:mod:`spokesync.group_names`; the journal keeps group ids); data is shown inert
(see :mod:`spokesync.inert`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from spokesync import audit_changes, inert
from spokesync.domain import identity_key, split_identity_key
from spokesync.report import audit_json, short_run_id
from spokesync.run_records import requester
from spokesync.store.base import AuditRecord, Store

#: rows ``audit`` shows unless ``--limit`` says otherwise
DEFAULT_LIMIT = 50
_VALUE_WIDTH = 32


class SinceError(ValueError):
    """``--since`` is not a time."""


def parse_since(value: str) -> str:
    """``--since`` as the journal writes times (UTC, milliseconds, ``Z``), so the store's
    string comparison is right; :class:`SinceError` naming the fix otherwise."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise SinceError(
            f"--since {value!r} is not a time: give an ISO time such as 2026-11-01T00:00:00Z "
            "or a date such as 2026-11-01"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditPage:
    """Up to ``limit`` rows, newest first; ``next`` is the ``--before`` of the next page."""

    rows: list[AuditRecord]
    next: int | None

    def as_json(self) -> dict[str, Any]:
        return {"entries": audit_json(self.rows), "next": self.next}


def _identities(user: str, sources: Iterable[str]) -> list[str]:
    """The identity keys ``--user`` may mean: a key as given, or the Auth0 id in any source."""
    names = list(sources)
    source, _ = split_identity_key(user)
    if source in names:
        return [user]
    return [identity_key(name, user) for name in names]


def audit_page(
    store: Store,
    *,
    sources: Iterable[str],
    user: str | None = None,
    since: str | None = None,
    limit: int = DEFAULT_LIMIT,
    before: int | None = None,
) -> AuditPage:
    """The newest ``limit`` rows matching ``user`` and ``since``, below row id ``before``."""
    keys: list[str | None] = list(_identities(user, sources)) if user else [None]
    rows: list[AuditRecord] = []
    for key in keys:
        rows.extend(store.audit(identity=key, since=since, limit=limit + 1, before=before))
    rows.sort(key=lambda r: r.id, reverse=True)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].id if more and rows else None)


def _short(value: object) -> str:
    return inert.short(value, _VALUE_WIDTH)


def changes(row: AuditRecord, names: Mapping[str, str]) -> str:
    """What one row changed, for a person (:mod:`spokesync.audit_changes`, shown inert): a
    membership as ``+Salesforce Users`` / ``−Salesforce Users``, fields as ``field: old → new``."""
    parts: list[str] = []
    for change in audit_changes.changes(row, names):
        if change.field == "group" and change.group_id is not None:
            sign = "−" if change.new is None else "+"
            parts.append(f"{sign}{inert.show(change.new or change.old)}")
        elif change.field == "group":
            parts.append(f"group {inert.show(change.new)}")
        else:
            parts.append(f"{inert.show(change.field)}: {_short(change.old)} → {_short(change.new)}")
    if row.status != "succeeded":
        parts.append(inert.show(f"[{row.status}]"))
    if row.error:
        parts.append(inert.show(f"error: {row.error}"))
    return "; ".join(parts)


def _time(moment: str) -> str:
    """``2026-11-27T04:15:00.123Z`` -> ``2026-11-27 04:15:00``."""
    return inert.show(moment[:19].replace("T", " "))


def print_audit(
    console: Console, page: AuditPage, names: Mapping[str, str], *, filters: str = ""
) -> None:
    """The page as a table, newest first: one line per entry (time, run, action, identity),
    its changes indented below; or one line saying that nothing matches."""
    if not page.rows:
        where = f" ({filters})" if filters else ""
        console.print(Text(f"No audit entries match{inert.show(where)}."))
        return
    console.print(Text(f"{'time (UTC)':<19}  {'run':<6}  {'action':<17}  identity", "bold"))
    for row in page.rows:
        line = (
            f"{_time(row.started_at):<19}  {inert.show(short_run_id(row.run_id)):<6}  "
            f"{inert.show(row.action):<17}  {inert.show(row.identity)}"
        )
        console.print(Text(line))
        what = changes(row, names)
        who = requester(row.requested_by)
        if who:  # an action someone asked for (the dashboard, the API), not the schedule
            what = (
                f"{what}; requested by {inert.show(who)}"
                if what
                else f"requested by {inert.show(who)}"
            )
        if what:
            console.print(Padding(Text(what), (0, 0, 0, 4)), soft_wrap=False)
    if page.next is not None:
        console.print(Text(f"older entries: --before {page.next} (or a larger --limit)"))
