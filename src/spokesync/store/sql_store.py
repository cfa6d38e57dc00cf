"""SqlStore: the Store protocol on SQLAlchemy Core, for SQLite and PostgreSQL alike.

Every method is one short transaction on the store's single pooled connection (writes on SQLite
start with ``BEGIN IMMEDIATE`` so they queue behind another process's writer instead of failing
half-way). Any SQLAlchemy error leaves as :class:`StoreError` with the cause kept and without
the database password; statement parameters are hidden from error texts too.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from spokesync.domain import (
    ActionKind,
    IdentityKey,
    Link,
    OrganizationGroup,
    PendingAction,
    SourceUser,
)
from spokesync.mapping import Mapped
from spokesync.store import codec, leader_row, run_lock, web_sessions
from spokesync.store.base import (
    AuditRecord,
    CachedProfile,
    FailureRecord,
    Fence,
    Leader,
    RunRecord,
    StoreError,
)
from spokesync.store.database import Database
from spokesync.store.migrate import migrate
from spokesync.store.schema import (
    cursors,
    failures,
    journal,
    links,
    organization_groups,
    runs,
    source_profiles,
)
from spokesync.store.web_sessions import WebSession

#: Rows per statement in bulk writes: well under every backend's bound-parameter limit.
CHUNK = 900

#: Journal statuses: an action is ``started`` until finished or resolved by a later run.
STARTED = "started"
FINISHED_STATUSES = frozenset({"succeeded", "failed", "interrupted", "repaired"})


def utc_now() -> str:
    """The store's own timestamps (``updated_at``, lock ``acquired_at``): ISO-8601 UTC."""
    # The engine's format too, so that lock and run timestamps read alike.
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _describe(exc: SQLAlchemyError) -> str:
    # The DBAPI's own message is the useful part; SQLAlchemy's wrapper adds the statement.
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {str(exc.orig).strip()}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


class SqlStore:
    """The state store on one SQLAlchemy engine; build it with ``open_store(url)``."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._mutex = threading.RLock()  # one connection: threads take turns
        self._closed = False
        self._fence: Fence | None = None

    def __repr__(self) -> str:
        return f"SqlStore({self._db.safe_url!r})"

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return self._db.safe_url

    @property
    def database(self) -> Database:
        """The engine and what kind of database it is (for the leadership lock)."""
        return self._db

    def fence_with(self, fence: Fence | None) -> None:
        """From now on every write transaction first asks ``fence`` (None: no fencing)."""
        self._fence = fence

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, what: str, *, write: bool = False) -> Iterator[Connection]:
        """One transaction; commits on success, rolls back and wraps errors otherwise."""
        with self._mutex:
            if self._closed:
                raise StoreError(f"cannot {what}: the store is closed")
            try:
                with self._db.engine.connect() as connection:
                    if self._db.is_sqlite:
                        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
                    if write and self._fence is not None:
                        # Same transaction as the write: a deposed leader's write never lands.
                        self._fence.fence(connection)
                    yield connection
                    connection.commit()
            except SQLAlchemyError as exc:
                message = f"cannot {what} in {self._db.safe_url}: {_describe(exc)}"
                raise StoreError(self._scrub(message)) from exc

    def _scrub(self, message: str) -> str:
        # Belt and braces: no driver message should echo the password, but never let one through.
        password = self._db.engine.url.password
        return message.replace(str(password), "***") if password else message

    def migrate(self) -> None:
        """Bring the schema to head (open_store does this; cheap when already there)."""
        with self._transaction("migrate the schema", write=True) as connection:
            migrate(connection)

    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""
        with self._mutex:
            if not self._closed:
                self._closed = True
                self._db.engine.dispose()

    # -- run lock ---------------------------------------------------------------------------

    def acquire_lock(self, owner: str) -> None:
        """Take the run lock or raise LockHeld; a dead holder on this host is taken over."""
        with self._transaction("acquire the run lock", write=True) as connection:
            leader_backend = None if self._fence is None else self._fence.lock_backend()
            run_lock.acquire(connection, owner, utc_now(), leader_backend)

    def release_lock(self, owner: str) -> None:
        """Release the run lock if ``owner`` holds it."""
        with self._transaction("release the run lock", write=True) as connection:
            run_lock.release(connection, owner)

    # -- leadership (who leads is the lock's business; this row only names it) -----------

    def leader(self) -> Leader | None:
        """Who leads now, or None when no process holds the leadership."""
        with self._transaction("read the leader") as connection:
            return leader_row.current_leader(connection)

    def record_leader(self, owner: str, backend_pid: int | None) -> Leader:
        """Name ``owner`` (this process, which just took the leadership) as leader from now."""
        held = Leader(owner, utc_now())
        with self._transaction("record the leader", write=True) as connection:
            leader_row.record_leader(connection, held, backend_pid)
        return held

    def forget_leader(self, owner: str) -> None:
        """Remove ``owner``'s leader row (it is stepping down)."""
        with self._transaction("forget the leader", write=True) as connection:
            leader_row.forget_leader(connection, owner)

    # -- dashboard sessions (see store.web_sessions) ---------------------------------------

    def save_session(self, session: WebSession) -> None:
        with self._transaction("save a dashboard session", write=True) as connection:
            web_sessions.save(connection, session)

    def find_session(self, id_hash: str) -> WebSession | None:
        with self._transaction("read a dashboard session") as connection:
            return web_sessions.find(connection, id_hash)

    def touch_session(self, id_hash: str, at: str) -> None:
        with self._transaction("touch a dashboard session", write=True) as connection:
            web_sessions.touch(connection, id_hash, at)

    def end_session(self, id_hash: str) -> None:
        with self._transaction("end a dashboard session", write=True) as connection:
            web_sessions.end(connection, id_hash)

    def end_sessions_with_other_roles(self, subject: str, roles: tuple[str, ...]) -> int:
        with self._transaction("end changed dashboard sessions", write=True) as connection:
            return web_sessions.end_other_roles(connection, subject, roles)

    def end_expired_sessions(self, idle_before: str, created_before: str) -> int:
        with self._transaction("end expired dashboard sessions", write=True) as connection:
            return web_sessions.end_expired(connection, idle_before, created_before)

    # -- links ------------------------------------------------------------------------------

    def load_links(self) -> dict[IdentityKey, Link]:
        """Every stored link by identity."""
        with self._transaction("load links") as connection:
            # Decode row by row: never hold every raw row beside every decoded link.
            result = connection.execute(sa.select(links))
            return {row.identity: codec.link_from_row(row) for row in result}

    def save_link(self, link: Link) -> None:
        """Insert or replace the link of ``link.identity``."""
        with self._transaction(f"save the link of {link.identity}", write=True) as connection:
            connection.execute(sa.delete(links).where(links.c.identity == link.identity))
            connection.execute(sa.insert(links), codec.link_to_row(link, utc_now()))

    def delete_link(self, identity: IdentityKey) -> None:
        """Forget the link of ``identity`` (no error if there is none)."""
        with self._transaction(f"delete the link of {identity}", write=True) as connection:
            connection.execute(sa.delete(links).where(links.c.identity == identity))

    # -- source profile cache ---------------------------------------------------------------

    def iter_profiles(self, rules_digest: str = "") -> Iterator[CachedProfile]:
        """Every cached profile. Where its mapped result was stored under ``rules_digest``,
        only the flags and that result are read: the whole profile stays in the database."""
        table = source_profiles
        current = table.c.rules_digest == rules_digest
        query = (
            sa.select(
                table.c.identity,
                sa.case((current, table.c.mapped), else_=sa.null()).label("mapped"),
                sa.case((current, sa.null()), else_=table.c.data).label("data"),
            )
            .order_by(table.c.identity)
            .limit(CHUNK)
        )
        after = ""
        while True:
            # A chunk per short transaction, by key: the caller may write (the profiles it
            # maps again) between two chunks, and the store has a single connection.
            with self._transaction("load source profiles") as connection:
                rows = connection.execute(query.where(table.c.identity > after)).all()
            for row in rows:
                if row.mapped is not None:
                    user, mapped = codec.mapped_from_json(row.identity, row.mapped)
                    yield CachedProfile(user, mapped)
                else:
                    yield CachedProfile(codec.source_user_from_json(row.data))
            if len(rows) < CHUNK:
                return
            after = rows[-1].identity

    def save_profiles(
        self,
        profiles: Iterable[SourceUser],
        mapped: Mapping[IdentityKey, Mapped] | None = None,
        rules_digest: str = "",
    ) -> None:
        """Insert or replace profiles in one transaction (the last one wins for a repeated key).

        A profile with a result in ``mapped`` is stored with it under ``rules_digest``.
        """
        latest = {user.key: user for user in profiles}
        if not latest:
            return
        results = mapped or {}
        now = utc_now()
        keys = list(latest)
        with self._transaction(f"save {len(keys)} source profiles", write=True) as connection:
            for chunk in _chunks(keys):
                connection.execute(
                    sa.delete(source_profiles).where(source_profiles.c.identity.in_(chunk))
                )
                # Rows are built a chunk at a time: a first run writes 100,000s of them.
                rows = []
                for key in chunk:
                    user, result = latest[key], results.get(key)
                    rows.append(
                        {
                            "identity": key,
                            "data": codec.source_user_to_json(user),
                            "updated_at": now,
                            "rules_digest": rules_digest if result is not None else None,
                            "mapped": (
                                codec.mapped_to_json(user, result) if result is not None else None
                            ),
                        }
                    )
                connection.execute(sa.insert(source_profiles), rows)

    def delete_profiles(self, identities: Iterable[IdentityKey]) -> None:
        """Forget the cached profiles of ``identities`` (unknown ones are ignored)."""
        keys = list(dict.fromkeys(identities))
        if not keys:
            return
        with self._transaction(f"delete {len(keys)} source profiles", write=True) as connection:
            for chunk in _chunks(keys):
                connection.execute(
                    sa.delete(source_profiles).where(source_profiles.c.identity.in_(chunk))
                )

    # -- organization groups ----------------------------------------------------------------

    def organization_groups(self) -> list[OrganizationGroup]:
        """Every group recorded as made (or adopted) for an organization, in key order."""
        table = organization_groups
        query = sa.select(table).order_by(table.c.source, table.c.organization_id, table.c.role_id)
        with self._transaction("read organization groups") as connection:
            rows = connection.execute(query).all()
        return [
            OrganizationGroup(
                row.source,
                row.organization_id,
                row.role_id,
                row.group_id,
                row.origin,
                row.recorded_at,
            )
            for row in rows
        ]

    def save_organization_group(self, record: OrganizationGroup) -> None:
        """Insert or replace the record of ``(source, organization_id, role_id)``."""
        table = organization_groups
        key = (
            (table.c.source == record.source)
            & (table.c.organization_id == record.organization_id)
            & (table.c.role_id == record.role_id)
        )
        values = {
            "group_id": record.group_id,
            "origin": record.origin,
            "recorded_at": record.recorded_at,
        }
        with self._transaction("record an organization group", write=True) as connection:
            if connection.execute(sa.update(table).where(key).values(**values)).rowcount == 0:
                connection.execute(
                    sa.insert(table).values(
                        source=record.source,
                        organization_id=record.organization_id,
                        role_id=record.role_id,
                        **values,
                    )
                )

    # -- runs -------------------------------------------------------------------------------

    def start_run(
        self,
        run_id: str,
        mode: str,
        started_at: str,
        requested_by: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a run that has started, owned by this process (a repeated id is an error),
        with who asked for it."""
        owner = f"{socket.gethostname()}:{os.getpid()}"
        with self._transaction(f"start run {run_id}", write=True) as connection:
            connection.execute(
                sa.insert(runs).values(
                    id=run_id,
                    mode=mode,
                    started_at=started_at,
                    summary=codec.dump_json({}),
                    requested_by=codec.dump_json_or_none(requested_by),
                    owner=owner,
                )
            )

    def close_run(
        self, run_id: str, outcome: str, finished_at: str, summary: Mapping[str, Any]
    ) -> bool:
        """Record how a run ended unless its record already says so (its own process wrote
        it first); True when this call recorded it."""
        with self._transaction(f"close run {run_id}", write=True) as connection:
            result = connection.execute(
                sa.update(runs)
                .where(runs.c.id == run_id, runs.c.outcome.is_(None))
                .values(outcome=outcome, finished_at=finished_at, summary=codec.dump_json(summary))
            )
            return bool(result.rowcount)

    def abandoned_runs(self) -> list[RunRecord]:
        """Runs without an outcome whose process is gone: a run that applies (``sync``,
        ``live``) is alive only while it holds the run lock and the lock's holder lives; a
        ``plan`` while its process lives (known only on its own host)."""
        query = sa.select(*_RUN_COLUMNS).where(runs.c.outcome.is_(None)).order_by(runs.c.id)
        with self._transaction("find abandoned runs") as connection:
            open_runs = [_run_record(row) for row in connection.execute(query).all()]
            if not open_runs:
                return []
            holder = run_lock.current_holder(connection)
            holder_alive = holder is not None and not run_lock.holder_gone(connection, holder)
            held_by = str(holder.owner) if holder_alive else None
        here = socket.gethostname()
        gone: list[RunRecord] = []
        for run in open_runs:
            host, _, pid = (run.owner or "").rpartition(":")
            if run.mode != "plan":
                alive = held_by is not None and held_by.endswith(f":{run.id}")
            else:
                alive = host != here or (pid.isdigit() and run_lock.process_alive(int(pid)))
            if not alive:
                gone.append(run)
        return gone

    def applied_counts(self, run_id: str) -> dict[str, int]:
        """Journal rows of run ``run_id`` that succeeded, by action: what it really applied."""
        query = (
            sa.select(journal.c.action, sa.func.count())
            .where(journal.c.run_id == run_id, journal.c.status == "succeeded")
            .group_by(journal.c.action)
        )
        with self._transaction(f"count what run {run_id} applied") as connection:
            return {str(action): int(n) for action, n in connection.execute(query).all()}

    def keep_plan(self, run_id: str, plan: str) -> None:
        """Keep ``plan`` (a saved plan's JSON text) with run ``run_id``."""
        with self._transaction(f"keep the plan of run {run_id}", write=True) as connection:
            result = connection.execute(
                sa.update(runs).where(runs.c.id == run_id).values(plan=plan)
            )
            if result.rowcount == 0:
                raise StoreError(f"cannot keep the plan of run {run_id}: it was never started")

    def run_plan(self, run_id: str) -> str | None:
        """The saved plan kept with run ``run_id`` (JSON text), or None."""
        with self._transaction(f"read the plan of run {run_id}") as connection:
            value = connection.execute(
                sa.select(runs.c.plan).where(runs.c.id == run_id)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def finish_run(
        self, run_id: str, outcome: str, finished_at: str, summary: Mapping[str, Any]
    ) -> None:
        """Record how a started run ended; ``summary`` must be JSON-serialisable."""
        with self._transaction(f"finish run {run_id}", write=True) as connection:
            result = connection.execute(
                sa.update(runs)
                .where(runs.c.id == run_id)
                .values(outcome=outcome, finished_at=finished_at, summary=codec.dump_json(summary))
            )
            if result.rowcount == 0:
                raise StoreError(f"cannot finish run {run_id}: it was never started")

    def recent_runs(self, limit: int = 10, before: str | None = None) -> list[RunRecord]:
        """The ``limit`` most recently started runs, newest first; with ``before`` (a run id),
        the page after that run (by start time, then id: a keyset on ix_runs_started_at)."""
        query = (
            sa.select(*_RUN_COLUMNS)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(limit)
        )
        if before is not None:
            mark = sa.select(runs.c.started_at).where(runs.c.id == before).scalar_subquery()
            query = query.where(
                sa.or_(
                    runs.c.started_at < mark,
                    sa.and_(runs.c.started_at == mark, runs.c.id < before),
                )
            )
        with self._transaction("read recent runs") as connection:
            rows = connection.execute(query).all()
        return [_run_record(row) for row in rows]

    def last_run(self, mode: str, outcome: str) -> RunRecord | None:
        """The newest run of ``mode`` that ended with ``outcome`` (newest first by start)."""
        query = (
            sa.select(*_RUN_COLUMNS)
            .where(runs.c.mode == mode, runs.c.outcome == outcome)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(1)
        )
        with self._transaction("read the last run") as connection:
            row = connection.execute(query).first()
        return None if row is None else _run_record(row)

    # -- journal / audit --------------------------------------------------------------------

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
        values = {
            "run_id": run_id,
            "identity": identity,
            "action": ActionKind(action).value,
            "okta_id": okta_id,
            "login": login,
            "status": STARTED,
            "started_at": started_at,
            "before": codec.dump_json_or_none(before),
            # Who asked for the run, copied from its row in the same statement.
            "requested_by": sa.select(runs.c.requested_by)
            .where(runs.c.id == run_id)
            .scalar_subquery(),
        }
        with self._transaction(f"journal {action} of {identity}", write=True) as connection:
            result = connection.execute(sa.insert(journal).values(**values))
            key = result.inserted_primary_key
            if key is None:  # pragma: no cover - every supported backend reports it
                raise StoreError("the database did not return the id of the journal entry")
            return int(key[0])

    def journal_finish(
        self,
        entry_id: int,
        status: str,
        finished_at: str,
        okta_id: str | None = None,
        after: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of a journaled action; ``okta_id`` (if given) replaces the one
        known at start (a create learns its id only now)."""
        _check_finished_status(status)
        values: dict[str, Any] = {
            "status": status,
            "finished_at": finished_at,
            "after": codec.dump_json_or_none(after),
            "error": error,
        }
        if okta_id is not None:
            values["okta_id"] = okta_id
        with self._transaction(f"finish journal entry {entry_id}", write=True) as connection:
            result = connection.execute(
                sa.update(journal).where(journal.c.id == entry_id).values(**values)
            )
            if result.rowcount == 0:
                raise StoreError(f"cannot finish journal entry {entry_id}: no such entry")

    def pending_actions(self) -> list[PendingAction]:
        """Journal rows that started and never finished (a crash in between), oldest first."""
        query = sa.select(journal).where(journal.c.status == STARTED).order_by(journal.c.id)
        with self._transaction("read pending actions") as connection:
            rows = connection.execute(query).all()
        return [
            PendingAction(
                id=row.id,
                run_id=row.run_id,
                identity=row.identity,
                action=ActionKind(row.action),
                okta_id=row.okta_id,
                login=row.login,
                started_at=row.started_at,
                group_id=_group_of(codec.load_json_or_none(row.before)),
            )
            for row in rows
        ]

    def resolve_pending(
        self, entry_id: int, status: str, finished_at: str, okta_id: str | None = None
    ) -> None:
        """Close an interrupted row (e.g. ``repaired``) once a later run has dealt with it."""
        _check_finished_status(status)
        values: dict[str, str] = {"status": status, "finished_at": finished_at}
        if okta_id is not None:
            values["okta_id"] = okta_id
        with self._transaction(f"resolve journal entry {entry_id}", write=True) as connection:
            result = connection.execute(
                sa.update(journal)
                .where(journal.c.id == entry_id, journal.c.status == STARTED)
                .values(**values)
            )
            if result.rowcount == 0:
                raise StoreError(f"cannot resolve journal entry {entry_id}: it is not pending")

    def audit(
        self,
        identity: IdentityKey | None = None,
        since: str | None = None,
        limit: int | None = None,
        before: int | None = None,
    ) -> list[AuditRecord]:
        """Journal rows, oldest first; ``since`` compares ``started_at`` (ISO strings, so use
        the same format and zone as the writer); ``limit`` keeps the newest rows; ``before``
        keeps rows whose id is below it (the next page back, by ix_journal_identity_id)."""
        query = sa.select(journal)
        if identity is not None:
            query = query.where(journal.c.identity == identity)
        if since is not None:
            query = query.where(journal.c.started_at >= since)
        if before is not None:
            query = query.where(journal.c.id < before)
        query = query.order_by(journal.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._transaction("read the audit log") as connection:
            rows = connection.execute(query).all()
        return [
            AuditRecord(
                id=row.id,
                run_id=row.run_id,
                identity=row.identity,
                action=row.action,
                okta_id=row.okta_id,
                status=row.status,
                started_at=row.started_at,
                finished_at=row.finished_at,
                before=codec.load_json_or_none(row.before),
                after=codec.load_json_or_none(row.after),
                error=row.error,
                requested_by=codec.load_json_or_none(row.requested_by),
            )
            for row in reversed(rows)
        ]

    # -- failure streaks --------------------------------------------------------------------

    def record_failure(self, identity: IdentityKey, run_id: str, reason: str) -> int:
        """Add one consecutive failure; return the streak length."""
        with self._transaction(f"record a failure of {identity}", write=True) as connection:
            result = connection.execute(
                sa.update(failures)
                .where(failures.c.identity == identity)
                .values(streak=failures.c.streak + 1, last_reason=reason, last_run=run_id)
            )
            if result.rowcount == 0:
                connection.execute(
                    sa.insert(failures).values(
                        identity=identity, streak=1, last_reason=reason, last_run=run_id
                    )
                )
                return 1
            streak = connection.execute(
                sa.select(failures.c.streak).where(failures.c.identity == identity)
            ).scalar_one()
            return int(streak)

    def clear_failure(self, identity: IdentityKey) -> None:
        """End the failure streak of ``identity`` (it succeeded)."""
        with self._transaction(f"clear the failures of {identity}", write=True) as connection:
            connection.execute(sa.delete(failures).where(failures.c.identity == identity))

    def failures(self) -> dict[IdentityKey, tuple[int, str]]:
        """identity -> (consecutive failures, last reason)."""
        with self._transaction("read failure streaks") as connection:
            rows = connection.execute(
                sa.select(failures.c.identity, failures.c.streak, failures.c.last_reason)
            ).all()
        return {row.identity: (row.streak, row.last_reason) for row in rows}

    # -- dashboard queries ------------------------------------------------------------------

    def failure_page(
        self, limit: int, after: IdentityKey | None = None, min_streak: int = 1
    ) -> list[FailureRecord]:
        """Failure streaks of at least ``min_streak``, by identity, from after ``after``."""
        query = (
            sa.select(failures)
            .where(failures.c.streak >= min_streak)
            .order_by(failures.c.identity)
            .limit(limit)
        )
        if after is not None:
            query = query.where(failures.c.identity > after)
        with self._transaction("read failure streaks") as connection:
            rows = connection.execute(query).all()
        return [FailureRecord(r.identity, r.streak, r.last_reason, r.last_run) for r in rows]

    def failure_count(self, min_streak: int = 1) -> int:
        """How many identities fail at least ``min_streak`` runs in a row."""
        query = sa.select(sa.func.count()).where(failures.c.streak >= min_streak)
        with self._transaction("count failure streaks") as connection:
            return int(connection.execute(query).scalar_one())

    def link_counts(self) -> dict[str, int]:
        """Linked identities by situation, as ``status`` sorts them: ``gone`` when
        deprovisioned or in no managed group, else ``linked`` (one aggregate, no rows read)."""
        gone = sa.or_(links.c.deprovisioned != "", links.c.managed_groups == codec.dump_json([]))
        situation = sa.case((gone, "gone"), else_="linked").label("situation")
        query = sa.select(situation, sa.func.count()).group_by(situation)
        with self._transaction("count links") as connection:
            rows = connection.execute(query).all()
        return {str(name): int(count) for name, count in rows}

    def find_identity(self, text: str) -> IdentityKey | None:
        """The identity ``text`` names: a linked or journaled identity key, or a link's login."""
        wanted = text.strip()
        if not wanted:
            return None
        by_key = sa.select(links.c.identity).where(links.c.identity == wanted)
        in_journal = sa.select(journal.c.identity).where(journal.c.identity == wanted).limit(1)
        by_login = (
            sa.select(links.c.identity)
            .where(links.c.login.in_({wanted, wanted.lower()}))
            .order_by(links.c.identity)
            .limit(1)
        )
        with self._transaction("find an identity") as connection:
            for query in (by_key, in_journal, by_login):
                found = connection.execute(query).scalar_one_or_none()
                if found is not None:
                    return str(found)
        return None

    # -- cursors ----------------------------------------------------------------------------

    def get_cursor(self, name: str) -> str | None:
        """The stored value of cursor ``name``, or None."""
        with self._transaction(f"read cursor {name}") as connection:
            value = connection.execute(
                sa.select(cursors.c.value).where(cursors.c.name == name)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def set_cursor(self, name: str, value: str) -> None:
        """Store ``value`` as cursor ``name``, replacing any previous value."""
        with self._transaction(f"set cursor {name}", write=True) as connection:
            result = connection.execute(
                sa.update(cursors).where(cursors.c.name == name).values(value=value)
            )
            if result.rowcount == 0:
                connection.execute(sa.insert(cursors).values(name=name, value=value))


#: A run's columns but its kept plan (which may be large, and is read by run id only).
_RUN_COLUMNS = tuple(c for c in runs.c if c.name != "plan")


def _run_record(row: sa.Row[Any]) -> RunRecord:
    return RunRecord(
        id=row.id,
        mode=row.mode,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
        summary=codec.load_json_or_none(row.summary),
        requested_by=codec.load_json_or_none(row.requested_by),
        owner=row.owner,
    )


def _check_finished_status(status: str) -> None:
    if status not in FINISHED_STATUSES:
        raise ValueError(
            f"journal status must be one of {sorted(FINISHED_STATUSES)}, not {status!r}"
        )


def _group_of(before: object) -> str | None:
    """The group a membership action's journal row names in its "before" state."""
    if isinstance(before, dict) and isinstance(before.get("group_id"), str):
        return str(before["group_id"])
    return None
