"""Bringing a database's schema to the head revision with alembic, programmatically.

The migration scripts live in ``migrations/`` inside the package (shipped as package data); no
alembic.ini is involved. A database already at head costs one catalog query and one SELECT:
alembic itself is only imported when there is something to do (importing it costs more than
the rest of the store together).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from spokesync.store.base import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

#: The newest revision in migrations/versions (a test keeps the two in step).
SCHEMA_HEAD = "0007"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"

# Any constant works: it only has to be the same for every spokesync process.
_PG_MIGRATION_LOCK = 0x5B0E51C


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config on the packaged scripts, running on ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The schema revision recorded in the database, or None for a database never migrated."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    version = sa.table(VERSION_TABLE, sa.column("version_num", sa.String()))
    revisions = connection.execute(sa.select(version.c.version_num)).scalars().all()
    return revisions[0] if len(revisions) == 1 else None


def migrate(connection: Connection) -> None:
    """Upgrade the schema to head inside the caller's (write) transaction; no-op when at head."""
    if connection.dialect.name == "postgresql":
        # Two processes opening a fresh database at once must not both create the tables
        # (SQLite is covered by the caller's BEGIN IMMEDIATE).
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
    revision = current_revision(connection)
    if revision == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    config = alembic_config(connection)
    if revision is not None:
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        if revision not in known:
            raise StoreError(
                f"the state database is at schema revision {revision!r}, which this version of "
                f"spokesync does not know (newest known: {SCHEMA_HEAD}); upgrade spokesync"
            )
    try:
        command.upgrade(config, "head")
    except CommandError as exc:
        raise StoreError(f"schema migration failed: {exc}") from exc
