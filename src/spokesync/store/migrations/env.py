"""Alembic environment: migrations always run on the connection spokesync hands over.

spokesync calls alembic programmatically (see ``spokesync.store.migrate``) with the open
connection in ``config.attributes["connection"]``; there is no alembic.ini and no URL here.
"""

from __future__ import annotations

from alembic import context

from spokesync.store.schema import metadata


def run_migrations() -> None:
    """Run the pending migrations inside the caller's connection and transaction."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "spokesync migrations run only through spokesync.store (no alembic.ini, no URL)"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode lets later migrations copy-and-move.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations()
