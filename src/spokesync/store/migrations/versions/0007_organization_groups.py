"""The Okta groups spokesync made (or adopted) for organizations of a template binding.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Additive: one new table."""
    op.create_table(
        "organization_groups",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("organization_id", sa.String(), primary_key=True),
        # "" for the group of all members; else the organization role the group is for
        sa.Column("role_id", sa.String(), primary_key=True),
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("organization_groups")
