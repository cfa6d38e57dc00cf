"""Whether the holder of a lock is still there: a process on this host, or a PostgreSQL
backend holding the leadership lock. What the run lock, the leadership and the ``leader`` row
all ask, in a module of its own so that none of them imports another for it."""

from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: The advisory lock the leader holds for as long as it leads (any constant shared by all
#: spokesync processes; below 2**31 so that pg_locks shows it as classid 0, objid KEY).
LEADER_KEY = 0x5B0E51D
#: Taken shared by every fenced write transaction, exclusive (briefly) by a new leader: it
#: cannot start before the old leader's in-flight writes have ended.
FENCE_KEY = 0x5B0E51E


def granted(key: int) -> str:
    """SQL condition on ``pg_locks``: advisory lock ``key`` granted in this database (advisory
    keys are per database: other databases on the server are other deployments)."""
    return (
        f"locktype = 'advisory' AND granted AND classid = 0 AND objid = {int(key)} "
        "AND objsubid = 1 AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())"
    )


def holds_leadership(connection: Connection, backend_pid: int) -> bool:
    """PostgreSQL: whether that backend holds the leadership lock now."""
    held = connection.execute(
        sa.text(f"SELECT count(*) FROM pg_locks WHERE {granted(LEADER_KEY)} AND pid = :pid"),
        {"pid": backend_pid},
    ).scalar_one()
    return bool(held)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (signal 0 checks without signalling)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to someone else
    return True
