"""State: links, source-profile cache, runs, the action journal and audit, cursors, run lock.

``open_store(url)`` is the way in: it opens SQLite (default) or PostgreSQL, brings the schema
to the current revision and returns a :class:`SqlStore` implementing :class:`Store`.
"""

from __future__ import annotations

from spokesync.store.base import AuditRecord, LockHeld, RunRecord, Store, StoreError
from spokesync.store.database import open_database
from spokesync.store.sql_store import SqlStore

__all__ = [
    "AuditRecord",
    "LockHeld",
    "RunRecord",
    "SqlStore",
    "Store",
    "StoreError",
    "open_store",
]


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
