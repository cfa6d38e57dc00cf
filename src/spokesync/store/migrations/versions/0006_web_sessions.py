"""Dashboard sign-in: server-side sessions, and who asked for each run and action.

Revision ID: 0006
Revises: 0005

Additive: a replica still running the previous version never reads the new table, and leaves
the new columns NULL (a run nobody asked for, as a scheduled one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(), primary_key=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("last_seen_at", sa.String(), nullable=False),
        sa.Index("ix_web_sessions_subject", "subject"),
    )
    op.add_column("runs", sa.Column("requested_by", sa.Text(), nullable=True))
    op.add_column("journal", sa.Column("requested_by", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journal") as batch:
        batch.drop_column("requested_by")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("requested_by")
    op.drop_table("web_sessions")
