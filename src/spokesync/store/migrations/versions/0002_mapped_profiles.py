"""Cache each source profile's mapped result beside it, under the mapping rules' digest.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Two nullable columns: rows written before them are mapped again on the next sync."""
    op.add_column("source_profiles", sa.Column("rules_digest", sa.String(), nullable=True))
    op.add_column("source_profiles", sa.Column("mapped", sa.Text(), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite rebuilds the table, PostgreSQL drops the columns in place.
    with op.batch_alter_table("source_profiles") as batch:
        batch.drop_column("mapped")
        batch.drop_column("rules_digest")
