"""Fixtures: every store test runs on SQLite, and on PostgreSQL when one is offered.

Set ``SPOKESYNC_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://u:p@127.0.0.1:5432/postgres``)
to a server where that user may create databases: the session creates a scratch database, and
every test starts from an empty one (all tables dropped).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from spokesync.store import SqlStore, open_store
from spokesync.store.migrate import VERSION_TABLE
from spokesync.store.schema import metadata

POSTGRES_ENV = "SPOKESYNC_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database for this session (dropped at the end)."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"no PostgreSQL: set {POSTGRES_ENV} to run the store tests against one")
    pytest.importorskip("psycopg", reason="psycopg is not installed (spokesync[postgres])")
    admin = sa.create_engine(sa.make_url(server), isolation_level="AUTOCOMMIT")
    name = f"spokesync_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            metadata.drop_all(connection)
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {VERSION_TABLE}")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an empty, never-migrated state database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'state.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """An open, migrated, empty store."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
