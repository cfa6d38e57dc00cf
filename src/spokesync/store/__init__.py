"""State: links, source-profile cache, runs, the action journal and audit, cursors, run lock,
and leadership among replicas (``leadership``).

Errors: :class:`StoreError` (cannot open, migrate, read or write) and its kinds
:class:`LockHeld` (another run holds the run lock) and :class:`LeadershipLost` (this process no
longer leads; a fenced write was refused and must not be retried).

``open_store(url)`` is the way in: it opens SQLite (default) or PostgreSQL, brings the schema
to the current revision and returns a :class:`SqlStore` implementing :class:`Store`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from spokesync.store.base import (
    AuditRecord,
    Leader,
    LeadershipLost,
    LockHeld,
    RunRecord,
    Store,
    StoreError,
)
from spokesync.store.database import open_database
from spokesync.store.sql_store import SqlStore

__all__ = [
    "AuditRecord",
    "Leader",
    "LeadershipLost",
    "LockHeld",
    "RunRecord",
    "SqlStore",
    "Store",
    "StoreError",
    "open_store",
    "state_exists",
]


def state_exists(url: str) -> bool:
    """False for a SQLite state file not made yet (nothing is recorded, and a reader that
    only looks need not create it); a server database is always there to ask."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return True
    return Path(parsed.database).exists()


def open_store(url: str) -> SqlStore:
    """Open the state database at ``url`` (``sqlite:///path.db`` or ``postgresql+psycopg://``),
    creating and migrating it as needed. Raises StoreError if it cannot be used."""
    store = SqlStore(open_database(url))
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store
