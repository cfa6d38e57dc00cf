"""Dashboard sessions in the state store, on SQLite and PostgreSQL (every replica reads the
same rows): saved by the hash of the cookie's id, touched, ended one by one, by changed roles
and by expiry."""

from __future__ import annotations

from spokesync.store import SqlStore
from spokesync.store.web_sessions import WebSession


def session(id_hash: str, subject: str, roles: tuple[str, ...], at: str) -> WebSession:
    return WebSession(id_hash, subject, f"{subject}@hub.example", subject.title(), roles, at, at)


def test_a_session_round_trips_and_is_touched_and_ended(store: SqlStore) -> None:
    saved = session("h1", "ann", ("viewer", "approver"), "2026-12-01T10:00:00.000Z")
    store.save_session(saved)
    found = store.find_session("h1")
    assert found is not None and found.roles == ("approver", "viewer")  # stored sorted
    assert (found.subject, found.email, found.created_at) == (
        "ann",
        "ann@hub.example",
        "2026-12-01T10:00:00.000Z",
    )
    store.touch_session("h1", "2026-12-01T11:00:00.000Z")
    touched = store.find_session("h1")
    assert touched is not None and touched.last_seen_at == "2026-12-01T11:00:00.000Z"
    assert store.find_session("nope") is None
    store.end_session("h1")
    assert store.find_session("h1") is None


def test_sessions_end_when_roles_change_or_they_expire(store: SqlStore) -> None:
    store.save_session(session("a1", "ann", ("viewer",), "2026-12-01T08:00:00.000Z"))
    store.save_session(session("a2", "ann", ("operator", "viewer"), "2026-12-01T09:00:00.000Z"))
    store.save_session(session("b1", "bob", ("viewer",), "2026-12-01T09:30:00.000Z"))
    # Ann signs in again as an operator: her viewer-only session ends, Bob's stays.
    assert store.end_sessions_with_other_roles("ann", ("operator", "viewer")) == 1
    assert store.find_session("a1") is None and store.find_session("a2") is not None
    # Idle since before 09:15, or made before 09:00: a2 (09:00, idle) ends, b1 stays.
    ended = store.end_expired_sessions("2026-12-01T09:15:00.000Z", "2026-12-01T09:00:00.000Z")
    assert ended == 1
    assert store.find_session("a2") is None and store.find_session("b1") is not None
