"""The dashboard's server-side sessions, on one connection each call (SqlStore's transaction).

A row is keyed by the SHA-256 of the cookie's random id, so the table alone signs nobody in.
Expiry is the caller's rule (idle and absolute limits, from ``[serve]``); these functions only
read, write and delete rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from spokesync.store import codec
from spokesync.store.schema import web_sessions


@dataclass(frozen=True, slots=True)
class WebSession:
    """One sign-in: who (``subject`` ``token`` for the [serve] token), their roles, and when."""

    id_hash: str
    subject: str
    email: str | None
    name: str | None
    roles: tuple[str, ...]
    created_at: str
    last_seen_at: str


def save(connection: Connection, session: WebSession) -> None:
    connection.execute(
        sa.insert(web_sessions).values(
            id_hash=session.id_hash,
            subject=session.subject,
            email=session.email,
            name=session.name,
            roles=codec.dump_json(sorted(session.roles)),
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
        )
    )


def find(connection: Connection, id_hash: str) -> WebSession | None:
    row = connection.execute(
        sa.select(web_sessions).where(web_sessions.c.id_hash == id_hash)
    ).first()
    return None if row is None else _session(row)


def touch(connection: Connection, id_hash: str, at: str) -> None:
    connection.execute(
        sa.update(web_sessions).where(web_sessions.c.id_hash == id_hash).values(last_seen_at=at)
    )


def end(connection: Connection, id_hash: str) -> None:
    connection.execute(sa.delete(web_sessions).where(web_sessions.c.id_hash == id_hash))


def end_other_roles(connection: Connection, subject: str, roles: tuple[str, ...]) -> int:
    """End ``subject``'s sessions held with other roles than ``roles``; how many ended."""
    wanted = codec.dump_json(sorted(roles))
    result = connection.execute(
        sa.delete(web_sessions).where(
            web_sessions.c.subject == subject, web_sessions.c.roles != wanted
        )
    )
    return int(result.rowcount or 0)


def end_expired(connection: Connection, idle_before: str, created_before: str) -> int:
    """End the sessions unused since ``idle_before`` or made before ``created_before``."""
    result = connection.execute(
        sa.delete(web_sessions).where(
            sa.or_(
                web_sessions.c.last_seen_at < idle_before,
                web_sessions.c.created_at < created_before,
            )
        )
    )
    return int(result.rowcount or 0)


def _session(row: Any) -> WebSession:
    roles = codec.load_json_or_none(row.roles) or []
    return WebSession(
        id_hash=row.id_hash,
        subject=row.subject,
        email=row.email,
        name=row.name,
        roles=tuple(str(r) for r in roles),
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )
