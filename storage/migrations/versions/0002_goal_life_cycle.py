"""Goals with a life cycle: draft/open/closed with when and why, and every earlier wording.

- goals.version, goals.closed_at, goals.closed_reason
- goal_versions: one row per wording of a goal (version 1 is the text it was opened with)
- scores.goal_version: the wording a score was given to
- goals no session has agreed an action for become drafts: /status and /rescore skip them
  until the session that named them agrees an action (a leader mid-session carries on).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


GOAL_COLUMNS = ("version", "closed_at", "closed_reason")


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch rebuild of goals: on SQLite a rebuild drops the
    # table, and with foreign keys on that deletes every session, score and check-in
    # hanging off it (ON DELETE CASCADE).
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("goals")}
    if "version" not in present:
        # The default fills existing rows; the models always set a version themselves.
        op.add_column("goals", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    if "closed_at" not in present:
        op.add_column("goals", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    if "closed_reason" not in present:
        op.add_column("goals", sa.Column("closed_reason", sa.String(16), nullable=True))
    op.add_column("scores", sa.Column("goal_version", sa.Integer(), nullable=True))

    op.create_table(
        "goal_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_goal_versions_user_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "goal_id",
            sa.String(64),
            sa.ForeignKey("goals.id", name="fk_goal_versions_goal_id_goals", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_goal_versions"),
        sa.UniqueConstraint("goal_id", "version", name="uq_goal_versions_goal_id_version"),
    )
    op.create_index("ix_goal_versions_user_id", "goal_versions", ["user_id"])

    # What was there before is the first version we know of.
    op.execute(
        "INSERT INTO goal_versions (user_id, goal_id, version, text, created_at) "
        "SELECT user_id, id, 1, text, created_at FROM goals"
    )
    op.execute("UPDATE scores SET goal_version = 1")
    op.execute(
        "UPDATE goals SET status = 'draft' WHERE status = 'open' AND NOT EXISTS ("
        "SELECT 1 FROM coaching_sessions s WHERE s.goal_id = goals.id AND s.action IS NOT NULL)"
    )


def downgrade() -> None:
    op.execute("UPDATE goals SET status = 'open' WHERE status = 'draft'")
    op.drop_index("ix_goal_versions_user_id", table_name="goal_versions")
    op.drop_table("goal_versions")
    # Scores have no children: rebuilding the table (SQLite) loses nothing.
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("goal_version")
    if op.get_bind().dialect.name != "sqlite":
        for column in reversed(GOAL_COLUMNS):
            op.drop_column("goals", column)
    # On SQLite the goal columns stay (a rebuild would cascade-delete sessions, scores
    # and check-ins); 0001 code ignores them, and upgrading again finds them there.
