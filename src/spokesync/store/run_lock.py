"""The run lock: one row in ``run_lock`` says which process is syncing.

The row's primary key is a constant, so of two processes inserting at once exactly one wins,
on every backend. A lock left by a process that died on this host is taken over. On PostgreSQL
a run of the leader (``store.leadership``) records its leadership lock's backend, and its lock
is taken over, from any host, once that backend no longer holds the leadership. Any other lock
from another host is never taken over (its pid means nothing here), so a crashed run by hand
on another machine must be cleared by hand (delete the row).
"""

from __future__ import annotations

import os
import socket
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from spokesync.store.base import LockHeld
from spokesync.store.liveness import holds_leadership, process_alive
from spokesync.store.schema import LOCK_SLOT, run_lock

# process_alive is part of this module's interface (the run lock's notion of a dead holder).
__all__ = ["acquire", "current_holder", "holder_gone", "process_alive", "release"]


def current_holder(connection: Connection) -> Any:
    """The lock row, or None when nobody holds the run lock."""
    return connection.execute(sa.select(run_lock).where(run_lock.c.slot == LOCK_SLOT)).first()


def holder_gone(connection: Connection, holder: Any) -> bool:
    """Whether the process holding the lock row ``holder`` is gone (so the lock is stale)."""
    if holder.leader_backend_pid is not None and connection.dialect.name == "postgresql":
        return not holds_leadership(connection, holder.leader_backend_pid)
    return holder.host == socket.gethostname() and not process_alive(holder.pid)


def acquire(
    connection: Connection, owner: str, now: str, leader_backend_pid: int | None = None
) -> None:
    """Insert our lock row, taking over a gone holder's; raise LockHeld otherwise.

    ``leader_backend_pid``: this process leads, on that leadership lock connection.
    """
    host, pid = socket.gethostname(), os.getpid()
    holder = current_holder(connection)
    if holder is not None:
        if (holder.owner, holder.host, holder.pid) == (owner, host, pid):
            return  # already ours
        if not holder_gone(connection, holder):
            raise LockHeld(holder.owner, holder.acquired_at)
        # Conditional on the stale owner: if a racing process took it over first, we delete
        # nothing and our insert below loses on the primary key.
        connection.execute(
            sa.delete(run_lock).where(
                run_lock.c.slot == LOCK_SLOT, run_lock.c.owner == holder.owner
            )
        )
    try:
        with connection.begin_nested():
            connection.execute(
                sa.insert(run_lock).values(
                    slot=LOCK_SLOT,
                    owner=owner,
                    host=host,
                    pid=pid,
                    acquired_at=now,
                    leader_backend_pid=leader_backend_pid,
                )
            )
    except IntegrityError:
        winner = current_holder(connection)
        if winner is None:  # the winner already released it: still not ours this time
            raise LockHeld("another run", now) from None
        raise LockHeld(winner.owner, winner.acquired_at) from None


def release(connection: Connection, owner: str) -> None:
    """Delete the lock row if ``owner`` holds it; someone else's lock is left alone."""
    connection.execute(
        sa.delete(run_lock).where(run_lock.c.slot == LOCK_SLOT, run_lock.c.owner == owner)
    )
