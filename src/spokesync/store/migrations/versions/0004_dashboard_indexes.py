"""Indexes the dashboard's queries need: find a link by login, page one identity's audit trail.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Additive: two indexes, no data change."""
    op.create_index("ix_links_login", "links", ["login"])
    # Keyset pages of one identity's rows, newest first, without sorting them.
    op.create_index("ix_journal_identity_id", "journal", ["identity", "id"])


def downgrade() -> None:
    op.drop_index("ix_journal_identity_id", table_name="journal")
    op.drop_index("ix_links_login", table_name="links")
