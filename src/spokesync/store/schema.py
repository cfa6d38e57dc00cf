"""The tables of the state database, as SQLAlchemy Core metadata.

Portable on purpose: timestamps are ISO-8601 strings (the store protocol deals in strings and
UTC ISO strings sort correctly), JSON is TEXT, booleans are SQLAlchemy ``Boolean``. Migrations in
``migrations/versions`` are written out by hand and must produce exactly this schema (a test
compares the two). No column holds a secret: the store only ever sees domain objects.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: identity -> Okta user pairing, with what spokesync last applied and manages for it.
links = sa.Table(
    "links",
    metadata,
    sa.Column("identity", sa.String(), primary_key=True),
    sa.Column("okta_id", sa.String(), nullable=False),
    sa.Column("login", sa.String(), nullable=False),
    sa.Column("origin", sa.String(), nullable=False),
    sa.Column("profile", sa.Text(), nullable=False),  # JSON object
    sa.Column("managed_groups", sa.Text(), nullable=False),  # JSON sorted list of group ids
    sa.Column("created_at", sa.String(), nullable=False),
    sa.Column("updated_at", sa.String(), nullable=False),
    sa.Column("deprovisioned", sa.String(), nullable=False),
    sa.Column("idp_linked", sa.Boolean(), nullable=False),
    sa.Column("hub_status", sa.String(), nullable=False),
    sa.Column("source_blocked_by_us", sa.Boolean(), nullable=False),
    # Not unique: with [identity] shared_across_sources, identities from several tenants
    # may share one Okta user.
    sa.Index("ix_links_okta_id", "okta_id"),
    sa.Index("ix_links_login", "login"),
)

#: The last profile read from Auth0 per identity, so unchanged members cost no per-user read.
source_profiles = sa.Table(
    "source_profiles",
    metadata,
    sa.Column("identity", sa.String(), primary_key=True),
    sa.Column("data", sa.Text(), nullable=False),  # JSON of the SourceUser fields
    sa.Column("updated_at", sa.String(), nullable=False),  # when the store saved it
    # The mapping rules' digest under which ``mapped`` was computed (NULL: never mapped).
    sa.Column("rules_digest", sa.String(), nullable=True),
    # JSON: the lifecycle flags and the mapped result (profile or unmappable reason).
    sa.Column("mapped", sa.Text(), nullable=True),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("mode", sa.String(), nullable=False),
    sa.Column("started_at", sa.String(), nullable=False),
    sa.Column("finished_at", sa.String(), nullable=True),
    sa.Column("outcome", sa.String(), nullable=True),
    sa.Column("summary", sa.Text(), nullable=False),  # JSON object
    # JSON {"subject", "email"} of who asked for the run (NULL: the scheduler, the command line)
    sa.Column("requested_by", sa.Text(), nullable=True),
    # JSON: the saved plan of a run the guard refused (spokesync.saved_plan), else NULL.
    sa.Column("plan", sa.Text(), nullable=True),
    # ``host:pid`` of the process running it: a run left without outcome whose process is
    # gone was interrupted (NULL: recorded by an older version).
    sa.Column("owner", sa.String(), nullable=True),
    sa.Index("ix_runs_started_at", "started_at"),
)

#: One row per applied action: written before the call (started) and after it (finished).
journal = sa.Table(
    "journal",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(), nullable=False),
    sa.Column("identity", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("okta_id", sa.String(), nullable=True),
    sa.Column("login", sa.String(), nullable=True),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("started_at", sa.String(), nullable=False),
    sa.Column("finished_at", sa.String(), nullable=True),
    sa.Column("before", sa.Text(), nullable=True),  # JSON object
    sa.Column("after", sa.Text(), nullable=True),  # JSON object
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("requested_by", sa.Text(), nullable=True),  # the run's, copied at write
    sa.Index("ix_journal_identity", "identity"),
    sa.Index("ix_journal_started_at", "started_at"),
    sa.Index("ix_journal_status", "status"),
    sa.Index("ix_journal_run_id", "run_id"),
    sa.Index("ix_journal_identity_id", "identity", "id"),
)

#: Consecutive failures per identity (quarantine after a streak).
failures = sa.Table(
    "failures",
    metadata,
    sa.Column("identity", sa.String(), primary_key=True),
    sa.Column("streak", sa.Integer(), nullable=False),
    sa.Column("last_reason", sa.Text(), nullable=False),
    sa.Column("last_run", sa.String(), nullable=False),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

#: At most one row: the primary key is always LOCK_SLOT, so a second insert must fail.
LOCK_SLOT = 1
run_lock = sa.Table(
    "run_lock",
    metadata,
    sa.Column("slot", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("owner", sa.String(), nullable=False),
    sa.Column("host", sa.String(), nullable=False),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("acquired_at", sa.String(), nullable=False),
    # PostgreSQL, a run of the leader: its leadership lock connection's backend. The run lock
    # dies with that leadership, on whatever host the holder ran (NULL: a run by hand).
    sa.Column("leader_backend_pid", sa.Integer(), nullable=True),
    sa.CheckConstraint(f"slot = {LOCK_SLOT}", name="ck_run_lock_single_row"),
)

#: Who leads among replicas, for ``status`` only: the leadership lock is the truth, so a row
#: whose holder no longer holds it (a dead leader's) is ignored rather than trusted.
leader = sa.Table(
    "leader",
    metadata,
    sa.Column("slot", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("owner", sa.String(), nullable=False),
    sa.Column("host", sa.String(), nullable=False),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("since", sa.String(), nullable=False),
    # PostgreSQL: the backend of the connection holding the advisory lock (NULL on SQLite).
    sa.Column("backend_pid", sa.Integer(), nullable=True),
    sa.CheckConstraint(f"slot = {LOCK_SLOT}", name="ck_leader_single_row"),
)

#: Dashboard sessions: one row per sign-in, keyed by the SHA-256 of the cookie's random id (a
#: copy of the table does not let anyone sign in). ``roles`` is a JSON sorted list.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id_hash", sa.String(), primary_key=True),
    sa.Column("subject", sa.String(), nullable=False),
    sa.Column("email", sa.String(), nullable=True),
    sa.Column("name", sa.String(), nullable=True),
    sa.Column("roles", sa.Text(), nullable=False),
    sa.Column("created_at", sa.String(), nullable=False),
    sa.Column("last_seen_at", sa.String(), nullable=False),
    sa.Index("ix_web_sessions_subject", "subject"),
)

#: The Okta groups spokesync created (or adopted) for the organizations of a template binding:
#: found again by the organization id, never by name (a renamed organization renames them).
organization_groups = sa.Table(
    "organization_groups",
    metadata,
    sa.Column("source", sa.String(), primary_key=True),
    sa.Column("organization_id", sa.String(), primary_key=True),
    sa.Column("role_id", sa.String(), primary_key=True),  # "" for all members
    sa.Column("group_id", sa.String(), nullable=False),
    sa.Column("origin", sa.String(), nullable=False),  # "created" | "adopted"
    sa.Column("recorded_at", sa.String(), nullable=False),
)
