"""Leadership: the ``leader`` table (who leads, for ``status``) and the run lock's leader.

Revision ID: 0003
Revises: 0002

Additive: a replica still running the previous version never reads or writes it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "leader",
        sa.Column("slot", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("since", sa.String(), nullable=False),
        sa.Column("backend_pid", sa.Integer(), nullable=True),
        sa.CheckConstraint("slot = 1", name="ck_leader_single_row"),
    )
    op.add_column("run_lock", sa.Column("leader_backend_pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_lock") as batch:
        batch.drop_column("leader_backend_pid")
    op.drop_table("leader")
