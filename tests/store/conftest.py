"""Fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL is the session's private server (tests/postgres_server.py), or the one named by
``SPOKESYNC_TEST_POSTGRES_URL`` (a user who may create databases); each worker gets a scratch
database and every test starts from an empty one (all tables dropped).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spokesync.store import SqlStore, open_store
from tests.postgres_server import empty_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an empty, never-migrated state database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'state.db'}"
    return empty_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """An open, migrated, empty store."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
