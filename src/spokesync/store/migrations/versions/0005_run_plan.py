"""Runs keep the saved plan the guard refused (so an approver can apply exactly it) and name
the process that runs them (so a run whose process died is found and recorded interrupted).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Additive: two nullable columns (NULL: no plan kept; a run of an older version)."""
    op.add_column("runs", sa.Column("plan", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("owner", sa.String(), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite rebuilds the table, PostgreSQL drops the column in place.
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("owner")
        batch.drop_column("plan")
