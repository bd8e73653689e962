"""The engagement: agreed runs of sessions, and reflections logged between them.

- engagements: one row per engagement agreed (or declined) by a leader; the latest counts
- reflections: what a leader logged between sessions (/log), on a goal, and when it was
  brought back at a session (the text encrypted like every answer; see storage.encryption)

Goal attainment, placed at the closing review, is goals.attainment (0005).

Leaders already set up have no engagement: they are asked to agree one at their next /new
or /start; a leader mid-session carries on untouched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str) -> sa.Column[object]:
    return sa.Column(
        "user_id",
        sa.Integer(),
        sa.ForeignKey("users.id", name=f"fk_{table}_user_id_users", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "engagements",
        sa.Column("id", sa.String(64), nullable=False),
        _user_fk("engagements"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("sessions_planned", sa.Integer(), nullable=False),
        sa.Column("sessions_held", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_session_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_engagements"),
    )
    op.create_index("ix_engagements_user_id", "engagements", ["user_id"])

    op.create_table(
        "reflections",
        sa.Column("id", sa.String(64), nullable=False),
        _user_fk("reflections"),
        sa.Column(
            "goal_id",
            sa.String(64),
            sa.ForeignKey("goals.id", name="fk_reflections_goal_id_goals", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reflections"),
    )
    op.create_index("ix_reflections_user_id", "reflections", ["user_id"])
    op.create_index("ix_reflections_goal_id", "reflections", ["goal_id"])


def downgrade() -> None:
    op.drop_index("ix_reflections_goal_id", table_name="reflections")
    op.drop_index("ix_reflections_user_id", table_name="reflections")
    op.drop_table("reflections")
    op.drop_index("ix_engagements_user_id", table_name="engagements")
    op.drop_table("engagements")
