"""The initial schema: links, source profiles, runs, journal, failures, cursors, run lock.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create every table of the first schema (a frozen copy, not imported from schema.py)."""
    op.create_table(
        "links",
        sa.Column("identity", sa.String(), primary_key=True),
        sa.Column("okta_id", sa.String(), nullable=False),
        sa.Column("login", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("managed_groups", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("deprovisioned", sa.String(), nullable=False),
        sa.Column("idp_linked", sa.Boolean(), nullable=False),
        sa.Column("hub_status", sa.String(), nullable=False),
        sa.Column("source_blocked_by_us", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_links_okta_id", "links", ["okta_id"])
    op.create_table(
        "source_profiles",
        sa.Column("identity", sa.String(), primary_key=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.String(), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("started_at", sa.String(), nullable=False),
        sa.Column("finished_at", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("identity", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("okta_id", sa.String(), nullable=True),
        sa.Column("login", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", sa.String(), nullable=False),
        sa.Column("finished_at", sa.String(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_journal_identity", "journal", ["identity"])
    op.create_index("ix_journal_started_at", "journal", ["started_at"])
    op.create_index("ix_journal_status", "journal", ["status"])
    op.create_index("ix_journal_run_id", "journal", ["run_id"])
    op.create_table(
        "failures",
        sa.Column("identity", sa.String(), primary_key=True),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("last_reason", sa.Text(), nullable=False),
        sa.Column("last_run", sa.String(), nullable=False),
    )
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "run_lock",
        sa.Column("slot", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", sa.String(), nullable=False),
        sa.CheckConstraint("slot = 1", name="ck_run_lock_single_row"),
    )


def downgrade() -> None:
    """Drop everything the upgrade created."""
    for table in ("run_lock", "cursors", "failures", "journal", "runs", "source_profiles", "links"):
        op.drop_table(table)
