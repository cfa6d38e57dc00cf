"""Opening the state database: which URLs are accepted, the SQLite file, engine settings.

SQLite gets a file created with mode 0600 before SQLAlchemy touches it (an existing file keeps
its mode), WAL so readers never block the writer, a busy timeout so a second process waits for
a short transaction instead of failing with "database is locked", and explicit ``BEGIN``
statements (pysqlite's implicit transactions would leave DDL and reads outside any transaction).
PostgreSQL goes through psycopg 3 with the same SQL, on a connection with TCP keepalives and a
user timeout, so that a query to a server that vanished (a partition, a lost host) fails within
about a minute instead of waiting out the kernel's retransmissions (a quarter of an hour).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from spokesync.store.base import StoreError

#: How long a SQLite connection waits for another process's write transaction.
BUSY_TIMEOUT_S = 30.0

_MEMORY = ("", ":memory:")

#: libpq settings of the store's PostgreSQL connection, unless its URL gives them: a silent
#: server is dropped after 10 + 5 x 3 s of idle silence, or 30 s of unacknowledged data.
#: (The leadership lock's own connection is much stricter: store/leadership.py.)
PG_KEEPALIVES: dict[str, int] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}


@dataclass(frozen=True, slots=True)
class Database:
    """An engine plus what the store needs to know about it."""

    engine: Engine
    #: the URL with any password masked: the only form that may appear in messages
    safe_url: str
    is_sqlite: bool
    #: the SQLite file, or None (in-memory SQLite, PostgreSQL)
    path: Path | None


def safe_url(url: str) -> str:
    """``url`` with its password masked, or a placeholder when it does not even parse."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def open_database(url: str) -> Database:
    """Parse ``url`` and build its engine (one pooled connection); raise StoreError if unusable."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        # The message of ArgumentError repeats the URL, which may hold a password.
        raise StoreError(
            "invalid state database URL (expected sqlite:/// or postgresql+psycopg://)"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _open_sqlite(parsed)
    if backend == "postgresql":
        return _open_postgresql(parsed)
    raise StoreError(
        f"unsupported state database {parsed.render_as_string(hide_password=True)}: "
        "use sqlite:///PATH or postgresql+psycopg://..."
    )


def _open_sqlite(parsed: URL) -> Database:
    database = parsed.database or ""
    path: Path | None = None
    kwargs: dict[str, Any] = {}
    if database in _MEMORY:
        # One in-memory database per store: every checkout must get the same connection.
        kwargs["poolclass"] = StaticPool
    elif parsed.query.get("mode") == "ro":
        # Read-only (``sqlite:///state.db?mode=ro``): SQLite's URI form, never created.
        path = Path(database).absolute()
        parsed = parsed.set(database=f"file:{path}", query={"mode": "ro", "uri": "true"})
        kwargs.update(pool_size=1, max_overflow=0)
    else:
        path = _create_private_file(Path(database))
        # Absolute, so that a later chdir cannot switch the store to another file.
        parsed = parsed.set(database=str(path))
        kwargs.update(pool_size=1, max_overflow=0)
    engine = sa.create_engine(
        parsed,
        hide_parameters=True,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        **kwargs,
    )
    event.listen(engine, "connect", _configure_sqlite_connection(wal=path is not None))
    return Database(engine, parsed.render_as_string(hide_password=True), True, path)


def _open_postgresql(parsed: URL) -> Database:
    if parsed.drivername == "postgresql":
        # Bare postgresql:// would mean psycopg2, which spokesync does not depend on.
        parsed = parsed.set(drivername="postgresql+psycopg")
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = sa.create_engine(
            parsed,
            hide_parameters=True,
            pool_size=1,
            max_overflow=0,
            pool_recycle=3600,
            connect_args={k: v for k, v in PG_KEEPALIVES.items() if k not in parsed.query},
        )
    except (ImportError, NoSuchModuleError) as exc:
        raise StoreError(
            f"cannot use {shown}: its driver is not installed (pip install 'spokesync[postgres]')"
        ) from exc
    return Database(engine, shown, False, None)


def _create_private_file(path: Path) -> Path:
    """Create the database file readable by its owner only; leave an existing file alone."""
    path = path.absolute()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_EXCL: an existing file is never opened here. Closing any descriptor of a database
        # file drops every POSIX lock this process holds on it (SQLite's own connections'
        # included), after which another process may checkpoint and delete the WAL that our
        # open connections still write to: their commits would be lost.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    except FileExistsError:
        pass  # it keeps its content and its mode
    except OSError as exc:
        raise StoreError(f"cannot create the state database file {path}: {exc.strerror}") from exc
    return path


def _configure_sqlite_connection(*, wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Driver-level autocommit: the store emits BEGIN / BEGIN IMMEDIATE itself, so reads,
        # writes and DDL all run inside real transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL loses no committed data on a process crash.
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return on_connect
