"""Per-identity failure streaks and named cursors."""

from __future__ import annotations

from spokesync.store import SqlStore


def test_failure_streaks_count_up_and_keep_the_last_reason(store: SqlStore) -> None:
    assert store.failures() == {}
    assert store.record_failure("apac:auth0|1", "r1", "429 budget") == 1
    assert store.record_failure("apac:auth0|1", "r2", "E0000001: bad login") == 2
    assert store.record_failure("apac:auth0|2", "r2", "timeout") == 1
    assert store.record_failure("apac:auth0|1", "r3", "E0000001: bad login") == 3
    assert store.failures() == {
        "apac:auth0|1": (3, "E0000001: bad login"),
        "apac:auth0|2": (1, "timeout"),
    }


def test_clear_failure_ends_the_streak(store: SqlStore) -> None:
    store.record_failure("apac:auth0|1", "r1", "x")
    store.record_failure("apac:auth0|1", "r2", "x")
    store.clear_failure("apac:auth0|1")
    store.clear_failure("apac:auth0|never")
    assert store.failures() == {}
    assert store.record_failure("apac:auth0|1", "r3", "y") == 1


def test_cursors_set_get_replace(store: SqlStore) -> None:
    assert store.get_cursor("auth0:apac:logs") is None
    store.set_cursor("auth0:apac:logs", "90020231101")
    store.set_cursor("okta:users", "2026-03-01T00:00:00.000Z")
    store.set_cursor("auth0:apac:logs", "90020231102")
    assert store.get_cursor("auth0:apac:logs") == "90020231102"
    assert store.get_cursor("okta:users") == "2026-03-01T00:00:00.000Z"
    store.set_cursor("empty", "")
    assert store.get_cursor("empty") == ""
