"""Leadership among replicas sharing one state database: one process leads, the others wait.

PostgreSQL: the leader holds a session advisory lock on a connection of its own. The server
releases it the moment that connection dies, and TCP keepalives (client and server side, set on
the connection) turn a vanished host into a dead connection within the failover budget. The
leader probes its connection every few seconds and considers itself deposed once its last
successful probe is older than a lease shorter than the server's detection time, so it stops
acting before a standby can start.

Fencing: a store fenced by a leadership (:meth:`SqlStore.fence_with`) checks, inside every
write transaction, that the leader's lock connection still holds the lock; a new leader first
waits for (or ends) every write transaction of the old one. So an old leader that lost its lock
but still reaches the database has every later write refused with :class:`LeadershipLost`.

SQLite serves one host: leadership is an exclusive ``flock`` on a file beside the database,
which the kernel releases when the holder dies.

The ``leader`` table only says who leads, for ``status``; the lock is the truth.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from spokesync.store.base import Fence, LeadershipLost, StoreError
from spokesync.store.liveness import FENCE_KEY, LEADER_KEY, granted

if TYPE_CHECKING:
    from spokesync.store.sql_store import SqlStore

#: Whether the backend (pid, backend_start) still holds the leader lock.
_HOLDS_LOCK = sa.text(
    f"SELECT count(*) FROM pg_locks WHERE {granted(LEADER_KEY)} AND pid = :pid AND EXISTS "
    "(SELECT 1 FROM pg_stat_activity a WHERE a.pid = :pid AND a.backend_start = :started)"
)


def default_owner() -> str:
    """How a process names itself as leader: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Timings:
    """Intervals derived from ``[serve] failover_seconds`` (F).

    The server drops a silent leader connection after ``idle + interval * count`` seconds of
    silence (keepalives, about 3F/5) and a standby tries every ``probe`` (F/5) seconds: a
    standby leads within about 4F/5. The leader probes every F/5 and deems itself deposed once
    its last good probe is older than ``lease`` (2F/5), before the server can free the lock.
    """

    probe: float
    keepalive_idle: int
    keepalive_interval: int
    keepalive_count: int
    lease: float

    @classmethod
    def for_failover(cls, failover_seconds: float) -> Timings:
        step = max(1, math.floor(failover_seconds / 5))
        return cls(
            probe=failover_seconds / 5,
            keepalive_idle=step,
            keepalive_interval=step,
            keepalive_count=2,
            lease=2 * failover_seconds / 5,
        )

    @property
    def detection_seconds(self) -> int:
        """How long the server waits on a silent peer before it drops the connection."""
        return self.keepalive_idle + self.keepalive_interval * self.keepalive_count


class Leadership(Fence, Protocol):
    """Leading among the processes that share one state database (and the fence of its
    store's writes)."""

    owner: str

    def acquire(self, timeout: float = 0.0) -> bool:
        """Try to lead for up to ``timeout`` seconds; True once leading (also if already)."""

    @property
    def is_leader(self) -> bool:
        """Whether this process leads now (does not raise)."""

    def check(self) -> None:
        """Raise :class:`LeadershipLost` unless this process still leads: call before acting."""

    def release(self) -> None:
        """Stop leading (a standby may take over at once); harmless when not leading."""

    def close(self) -> None:
        """Release and free the connection."""


def open_leadership(
    store: SqlStore, failover_seconds: float = 15.0, owner: str | None = None
) -> Leadership:
    """The leadership of ``store``'s database, on its backend; ``store`` gets fenced by it."""
    timings = Timings.for_failover(failover_seconds)
    name = owner or default_owner()
    database = store.database
    chosen: Leadership
    if database.is_sqlite:
        chosen = FileLeadership(store, name, timings)
    else:
        chosen = PostgresLeadership(store, name, timings)
    store.fence_with(chosen)
    return chosen


class PostgresLeadership:
    """Leadership as a session advisory lock on a dedicated, keepalive-watched connection."""

    def __init__(self, store: SqlStore, owner: str, timings: Timings) -> None:
        self.owner = owner
        self._store = store
        self._timings = timings
        self._conninfo = _conninfo(store.database.engine.url)
        self._connection: Any = None  # psycopg.Connection, opened on demand
        self._backend: tuple[int, Any] | None = None  # (pid, backend_start) of that connection
        self._io = threading.Lock()  # the lock connection is used by one thread at a time
        self._leading = False
        self._last_ok = 0.0
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    # -- the lock connection ----------------------------------------------------------------

    def _connect(self) -> Any:
        import psycopg

        t = self._timings
        server_side = (
            f"-c tcp_keepalives_idle={t.keepalive_idle} "
            f"-c tcp_keepalives_interval={t.keepalive_interval} "
            f"-c tcp_keepalives_count={t.keepalive_count} "
            f"-c tcp_user_timeout={t.detection_seconds * 1000}"
        )
        # Unreachable or refusing servers raise psycopg.Error: the caller tries again later.
        connection = psycopg.connect(
            self._conninfo,
            autocommit=True,
            application_name="spokesync leadership",
            connect_timeout=max(2, math.ceil(t.probe)),
            keepalives=1,
            keepalives_idle=t.keepalive_idle,
            keepalives_interval=t.keepalive_interval,
            keepalives_count=t.keepalive_count,
            tcp_user_timeout=int(t.lease * 1000),
            options=server_side,
        )
        row = connection.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        ).fetchone()
        assert row is not None  # every backend sees itself
        self._backend = (row[0], row[1])
        return connection

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing left to free
                connection.close()

    # -- leading ----------------------------------------------------------------------------

    def acquire(self, timeout: float = 0.0) -> bool:
        """Try ``pg_try_advisory_lock`` every probe interval until ``timeout``."""
        if self.is_leader or (self._leading and self.probe()):
            return True  # still leading (a late probe may renew an expired lease)
        deadline = time.monotonic() + timeout
        while True:
            if self._try_once():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(self._timings.probe, remaining))

    def _try_once(self) -> bool:
        import psycopg

        with self._io:
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = self._connect()
                won = self._connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", (LEADER_KEY,)
                ).fetchone()[0]
                if not won:
                    return False
                self._wait_out_old_writes()
            except psycopg.Error:
                # The server is unreachable or went away: try again on a new connection.
                self._drop_connection()
                return False
            self._leading = True
            self._last_ok = time.monotonic()
        self._stop.clear()
        self._heartbeat = threading.Thread(
            target=self._beat, name="spokesync-leadership", daemon=True
        )
        self._heartbeat.start()
        try:
            self._store.record_leader(self.owner, self.lock_backend())
        except StoreError:
            self.release()  # leading unseen is worse than not leading: try again later
            raise
        return True

    def _wait_out_old_writes(self) -> None:
        """Let the old leader's fenced writes end (ending those that hang) before leading."""
        import psycopg

        connection = self._connection
        wait_ms = max(1, int(self._timings.probe * 1000))
        connection.execute(f"SET lock_timeout = {wait_ms}")
        try:
            try:
                connection.execute("SELECT pg_advisory_lock(%s)", (FENCE_KEY,))
            except psycopg.errors.LockNotAvailable:
                # Still held after a probe interval: a write of a leader that lost its lock,
                # possibly on a dead connection. End it; its transaction rolls back.
                connection.execute(
                    f"SELECT pg_terminate_backend(pid) FROM pg_locks "
                    f"WHERE {granted(FENCE_KEY)} AND pid <> pg_backend_pid()"
                )
                connection.execute("SET lock_timeout = 0")
                connection.execute("SELECT pg_advisory_lock(%s)", (FENCE_KEY,))
            connection.execute("SELECT pg_advisory_unlock(%s)", (FENCE_KEY,))
        finally:
            connection.execute("SET lock_timeout = 0")

    def lock_backend(self) -> int | None:
        """The backend pid of the lock connection while leading, else None."""
        return None if self._backend is None or not self._leading else int(self._backend[0])

    def probe(self) -> bool:
        """Ask the server whether our connection still holds the lock; False once lost."""
        import psycopg

        with self._io:
            if not self._leading:
                return False
            try:
                held = self._connection.execute(
                    f"SELECT count(*) FROM pg_locks "
                    f"WHERE {granted(LEADER_KEY)} AND pid = pg_backend_pid()"
                ).fetchone()[0]
            except psycopg.Error:
                held = 0
            if held and self._leading:  # (release may have given up waiting meanwhile)
                self._last_ok = time.monotonic()
                return True
            self._leading = False
            self._drop_connection()  # whatever it still holds is freed with it
            return False

    def _beat(self) -> None:
        while not self._stop.wait(self._timings.probe):
            if not self.probe():
                return

    @property
    def is_leader(self) -> bool:
        return self._leading and time.monotonic() - self._last_ok < self._timings.lease

    def check(self) -> None:
        if not self.is_leader:
            raise LeadershipLost(f"{self.owner} no longer leads: stop and stand by")

    def fence(self, connection: Connection) -> None:
        self.check()
        assert self._backend is not None  # set by the connection that won the lock
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(FENCE_KEY)))
        pid, started = self._backend
        held = connection.execute(_HOLDS_LOCK, {"pid": pid, "started": started}).scalar_one()
        if not held:
            raise LeadershipLost(
                f"{self.owner} no longer holds the leadership: the write was refused"
            )

    def release(self) -> None:
        import psycopg

        self._stop.set()
        # A probe stuck on a hung server must not hang the caller: wait at most a lease.
        patience = self._timings.lease
        if self._heartbeat is not None and self._heartbeat is not threading.current_thread():
            self._heartbeat.join(patience)
        self._heartbeat = None
        if self.is_leader:
            # While still leading: the row write is fenced like any other. The row is only
            # informational, so failing to delete it is harmless (the next leader replaces it).
            with contextlib.suppress(StoreError):
                self._store.forget_leader(self.owner)
        if not self._io.acquire(timeout=patience):
            # The stuck probe drops the connection (and so the lock) once it fails.
            self._leading = False
            return
        try:
            if not self._leading:
                return
            self._leading = False
            try:
                # All of them: the connection holds nothing else, and this frees the lock
                # however many times the session took it.
                self._connection.execute("SELECT pg_advisory_unlock_all()")
            except psycopg.Error:
                self._drop_connection()  # the server frees the lock with the connection
        finally:
            self._io.release()

    def close(self) -> None:
        self.release()
        with self._io:
            self._drop_connection()


class FileLeadership:
    """Leadership on one host: an exclusive ``flock`` on ``<database>.leader``.

    An in-memory SQLite database is reachable by this process only: it always leads.
    """

    def __init__(self, store: SqlStore, owner: str, timings: Timings) -> None:
        self.owner = owner
        self._store = store
        self._timings = timings
        path = store.database.path
        self._path: Path | None = None if path is None else path.with_name(path.name + ".leader")
        self._fd: int | None = None
        self._leading = False

    def acquire(self, timeout: float = 0.0) -> bool:
        if self._leading:
            return True
        deadline = time.monotonic() + timeout
        while not self._try_once():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(self._timings.probe, remaining))
        self._leading = True
        self._store.record_leader(self.owner, None)
        return True

    def _try_once(self) -> bool:
        if self._path is None:
            return True
        if self._fd is None:
            self._fd = os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    @property
    def is_leader(self) -> bool:
        return self._leading

    def check(self) -> None:
        if not self._leading:
            raise LeadershipLost(f"{self.owner} does not lead: stop and stand by")

    def fence(self, connection: Connection) -> None:
        self.check()

    def lock_backend(self) -> int | None:
        return None  # a lock file, not a connection

    def release(self) -> None:
        if not self._leading:
            return
        try:
            self._store.forget_leader(self.owner)
        finally:
            self._leading = False
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _conninfo(url: sa.URL) -> str:
    """A libpq URI for ``url`` (SQLAlchemy's ``postgresql+psycopg://`` form)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
