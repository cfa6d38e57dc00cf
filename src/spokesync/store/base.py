"""The store interface: links, source-profile cache, runs, the action journal/audit, cursors, lock.

SQLite serves it by default and PostgreSQL through the same SQLAlchemy code. The engine
depends only on this protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from spokesync.store.web_sessions import WebSession

from spokesync.domain import (
    ActionKind,
    IdentityKey,
    Link,
    OrganizationGroup,
    PendingAction,
    SourceUser,
)
from spokesync.mapping import Mapped


class StoreError(Exception):
    """The state database cannot be opened, migrated or written."""


class LockHeld(StoreError):
    """Another run holds the run lock."""

    def __init__(self, owner: str, since: str) -> None:
        super().__init__(f"another run holds the lock ({owner}, since {since})")
        self.owner = owner
        self.since = since


class LeadershipLost(StoreError):
    """This process no longer leads (its lock connection died, or another process leads now).

    Raised by :meth:`Leadership.check` and, as fencing, by any write of a store fenced by a
    leadership that was lost: the write did not happen. Never retried: the process must stop
    acting and stand by again.
    """


@dataclass(frozen=True, slots=True)
class Leader:
    """Who leads now: ``owner`` is ``host:pid``, ``since`` the UTC ISO time it took the lead."""

    owner: str
    since: str


class Fence(Protocol):
    """What a fenced store asks inside each write transaction (store.leadership's are fences)."""

    def fence(self, connection: Connection) -> None:
        """Raise LeadershipLost unless this process may still write."""

    def lock_backend(self) -> int | None:
        """PostgreSQL: the backend holding this process's leadership, recorded with its runs'
        run lock so that the run lock dies with the leadership."""


@dataclass(frozen=True, slots=True)
class CachedProfile:
    """A cached source profile.

    With ``mapped`` (stored under the rules digest asked for), ``user`` holds only what the
    planner reads beside it: the identity, ``blocked`` and ``email_verified``. Without it,
    ``user`` is the whole profile, to be mapped again.
    """

    user: SourceUser
    mapped: Mapped | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: str
    mode: str  # "sync" | "plan" | "live"
    started_at: str
    finished_at: str | None
    #: "succeeded" | "partial" | "failed" | "refused" | "interrupted" | "fenced"; None while
    #: running (shown as "running")
    outcome: str | None
    summary: Mapping[str, Any]
    #: {"subject", "email"} of the person who asked, {"subject": "token"}; None: nobody asked
    requested_by: Mapping[str, Any] | None = None
    #: ``host:pid`` of the process that ran it (None: recorded by an older version)
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    run_id: str
    identity: IdentityKey
    action: str
    okta_id: str | None
    status: str  # "started" | "succeeded" | "failed"
    started_at: str
    finished_at: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    error: str | None
    requested_by: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """One identity's current failure streak."""

    identity: IdentityKey
    streak: int
    reason: str
    run_id: str


class Store(Protocol):
    """What the engine needs to remember between runs."""

    # lifecycle
    def close(self) -> None: ...

    # run lock: one sync at a time, across processes and machines sharing the database
    def acquire_lock(self, owner: str) -> None:
        """Take the run lock or raise :class:`LockHeld`. A lock whose owner process is gone
        (same host, dead pid) is taken over."""

    def release_lock(self, owner: str) -> None: ...

    # leadership among replicas (store.leadership takes and keeps it)
    def leader(self) -> Leader | None:
        """Who leads now, or None when no process holds the leadership."""

    # links
    def load_links(self) -> dict[IdentityKey, Link]: ...
    def save_link(self, link: Link) -> None:
        """Insert or replace the link of ``link.identity``."""

    def delete_link(self, identity: IdentityKey) -> None: ...

    # source profile cache (so unchanged members cost no per-user read)
    def iter_profiles(self, rules_digest: str = "") -> Iterator[CachedProfile]:
        """Every cached profile, read a chunk per transaction (the caller may write between)."""

    def save_profiles(
        self,
        profiles: Iterable[SourceUser],
        mapped: Mapping[IdentityKey, Mapped] | None = None,
        rules_digest: str = "",
    ) -> None:
        """Insert or replace profiles, each with its mapped result under ``rules_digest``."""

    def delete_profiles(self, identities: Iterable[IdentityKey]) -> None: ...

    # groups made for organizations (template bindings)
    def organization_groups(self) -> list[OrganizationGroup]:
        """Every group recorded as made (or adopted) for an organization."""

    def save_organization_group(self, record: OrganizationGroup) -> None:
        """Insert or replace the record of ``(source, organization_id, role_id)``."""

    # runs
    def start_run(
        self,
        run_id: str,
        mode: str,
        started_at: str,
        requested_by: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a run that has started, owned by this process (``host:pid``);
        ``requested_by`` is copied to each of its journal rows."""

    def close_run(
        self, run_id: str, outcome: str, finished_at: str, summary: Mapping[str, Any]
    ) -> bool:
        """Record how a run ended unless its record already has an outcome; True if it did."""

    def abandoned_runs(self) -> list[RunRecord]:
        """Runs without an outcome whose process is gone (it died, or lost the run lock)."""

    def applied_counts(self, run_id: str) -> dict[str, int]:
        """What run ``run_id`` really applied: its succeeded journal rows, by action."""

    def keep_plan(self, run_id: str, plan: str) -> None:
        """Keep a saved plan (its JSON text, :mod:`spokesync.saved_plan`) with a run: the
        engine keeps the plan of every run the guard refused, for an approver."""

    def run_plan(self, run_id: str) -> str | None:
        """The saved plan kept with run ``run_id``, or None."""

    def finish_run(
        self, run_id: str, outcome: str, finished_at: str, summary: Mapping[str, Any]
    ) -> None: ...
    def recent_runs(self, limit: int = 10, before: str | None = None) -> list[RunRecord]:
        """The newest runs first; ``before`` (a run id) pages on: only runs started before it."""

    def last_run(self, mode: str, outcome: str) -> RunRecord | None:
        """The newest run of ``mode`` that ended with ``outcome``."""

    # the journal, which is also the audit log: one row per applied action
    def journal_start(
        self,
        run_id: str,
        identity: IdentityKey,
        action: ActionKind,
        okta_id: str | None,
        login: str | None,
        before: Mapping[str, Any] | None,
        started_at: str,
    ) -> int:
        """Record that an action is about to be sent; returns the journal row id."""

    def journal_finish(
        self,
        entry_id: int,
        status: str,
        finished_at: str,
        okta_id: str | None = None,
        after: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None: ...

    def pending_actions(self) -> list[PendingAction]:
        """Journal rows that started and never finished (a crash in between)."""

    def resolve_pending(
        self, entry_id: int, status: str, finished_at: str, okta_id: str | None = None
    ) -> None:
        """Close an interrupted row once a later run has decided about it; ``okta_id``, when
        given, records the Okta user the row's action turned out to have made."""

    def audit(
        self,
        identity: IdentityKey | None = None,
        since: str | None = None,
        limit: int | None = None,
        before: int | None = None,
    ) -> list[AuditRecord]:
        """Journal rows oldest first; ``limit`` keeps the newest, ``before`` those below an id."""

    # per-identity failure streaks (quarantine) and cursors/watermarks
    def record_failure(self, identity: IdentityKey, run_id: str, reason: str) -> int:
        """Add one consecutive failure; return the streak length."""

    def clear_failure(self, identity: IdentityKey) -> None: ...
    def failures(self) -> dict[IdentityKey, tuple[int, str]]:
        """identity -> (consecutive failures, last reason)."""

    # read-only queries for the dashboard: each a page or a count, never a whole table
    def failure_page(
        self, limit: int, after: IdentityKey | None = None, min_streak: int = 1
    ) -> list[FailureRecord]:
        """Failure streaks of at least ``min_streak`` by identity, from after ``after``."""

    def failure_count(self, min_streak: int = 1) -> int: ...
    def link_counts(self) -> dict[str, int]:
        """Linked identities by situation: ``linked``, or ``gone`` (deprovisioned, no group)."""

    def find_identity(self, text: str) -> IdentityKey | None:
        """The identity ``text`` names: an identity key, or the Okta login of a link."""

    def get_cursor(self, name: str) -> str | None: ...

    # dashboard sessions (the service's HTTP side; see store.web_sessions)
    def save_session(self, session: WebSession) -> None: ...
    def find_session(self, id_hash: str) -> WebSession | None: ...
    def touch_session(self, id_hash: str, at: str) -> None: ...
    def end_session(self, id_hash: str) -> None: ...
    def end_sessions_with_other_roles(self, subject: str, roles: tuple[str, ...]) -> int:
        """End the subject's sessions whose roles differ from ``roles`` (they changed)."""

    def end_expired_sessions(self, idle_before: str, created_before: str) -> int: ...
    def set_cursor(self, name: str, value: str) -> None: ...
