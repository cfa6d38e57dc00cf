"""The ``leader`` row: who leads among replicas, for ``status`` only. The leadership lock
(:mod:`spokesync.store.leadership`) is the truth, so a row whose holder no longer holds it
(a dead leader's) is ignored rather than trusted."""

from __future__ import annotations

import os
import socket

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from spokesync.store.base import Leader
from spokesync.store.liveness import holds_leadership, process_alive
from spokesync.store.schema import LOCK_SLOT, leader


def current_leader(connection: Connection) -> Leader | None:
    """Who leads now per the ``leader`` row, if its holder still holds the leadership."""
    row = connection.execute(sa.select(leader).where(leader.c.slot == LOCK_SLOT)).first()
    if row is None:
        return None
    if connection.dialect.name == "postgresql":
        if row.backend_pid is None or not holds_leadership(connection, row.backend_pid):
            return None
    # SQLite serves one host: a leader on this host is alive while its process is.
    elif row.host == socket.gethostname() and not process_alive(row.pid):
        return None
    return Leader(row.owner, row.since)


def record_leader(connection: Connection, held: Leader, backend_pid: int | None) -> None:
    """Replace the ``leader`` row with this process's (``backend_pid``: its lock connection's)."""
    connection.execute(sa.delete(leader).where(leader.c.slot == LOCK_SLOT))
    connection.execute(
        sa.insert(leader).values(
            slot=LOCK_SLOT,
            owner=held.owner,
            host=socket.gethostname(),
            pid=os.getpid(),
            since=held.since,
            backend_pid=backend_pid,
        )
    )


def forget_leader(connection: Connection, owner: str) -> None:
    """Delete the ``leader`` row if it is ``owner``'s."""
    connection.execute(sa.delete(leader).where(leader.c.slot == LOCK_SLOT, leader.c.owner == owner))
