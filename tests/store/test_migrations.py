"""Schema migrations: a fresh database gets the schema, reopening at head does nothing."""

from __future__ import annotations

import alembic.command
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from spokesync.domain import Link, SourceUser
from spokesync.store import StoreError, open_store
from spokesync.store.migrate import SCHEMA_HEAD, VERSION_TABLE, alembic_config, current_revision
from spokesync.store.schema import metadata

TABLES = {
    "links",
    "organization_groups",
    "source_profiles",
    "runs",
    "journal",
    "failures",
    "cursors",
    "run_lock",
    "leader",
    "web_sessions",
}


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_schema_head_names_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_fresh_database_gets_every_table_at_head(store_url: str) -> None:
    assert table_names(store_url) <= {VERSION_TABLE}  # nothing yet
    open_store(store_url).close()
    assert table_names(store_url) == TABLES | {VERSION_TABLE}
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            assert current_revision(connection) == SCHEMA_HEAD
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_table_definitions(store_url: str) -> None:
    # The migration is written by hand; the store's queries use schema.py. They must agree.
    open_store(store_url).close()
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_reopening_at_head_keeps_data_and_does_not_run_alembic(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = Link(identity="apac:auth0|1", okta_id="00u1", login="a@hub.example")
    with open_store(store_url) as first:
        first.save_link(link)

    def no_upgrade(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("alembic ran on a database already at head")

    monkeypatch.setattr(alembic.command, "upgrade", no_upgrade)
    with open_store(store_url) as again:
        assert again.load_links() == {link.identity: link}


def test_a_schema_newer_than_this_spokesync_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match=r"'9999'.*upgrade spokesync"):
        open_store(store_url)


def test_downgrade_to_base_removes_the_schema(store_url: str) -> None:
    open_store(store_url).close()
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as connection:
            alembic.command.downgrade(alembic_config(connection), "base")
    finally:
        engine.dispose()
    assert table_names(store_url) <= {VERSION_TABLE}


def test_profiles_cached_before_0002_are_kept_and_read_whole(store_url: str) -> None:
    """0002 adds the mapped result beside each cached profile; older rows have none, so the
    next sync maps them again (and stores the result) instead of reading Auth0 again."""
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as connection:
            alembic.command.upgrade(alembic_config(connection), "0001")
            connection.execute(
                sa.text(
                    "INSERT INTO source_profiles (identity, data, updated_at) VALUES "
                    "('apac:auth0|1', :data, '2026-11-01T00:00:00.000Z')"
                ),
                {"data": '{"source":"apac","user_id":"auth0|1","email":"ann@p.example"}'},
            )
    finally:
        engine.dispose()
    with open_store(store_url) as store:
        assert [c.mapped for c in store.iter_profiles("any digest")] == [None]
        (user,) = [c.user for c in store.iter_profiles("any digest")]
        assert user == SourceUser(source="apac", user_id="auth0|1", email="ann@p.example")
