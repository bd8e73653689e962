"""Initial schema: users, goals, coaching sessions, answers, scores, conversations,
check-ins, safety flags and invites.

Written by hand and kept free of imports from storage.models, so that later changes
to the models cannot change what this migration does.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def user_fk(table: str) -> sa.Column[object]:
    return sa.Column(
        "user_id",
        sa.Integer(),
        sa.ForeignKey("users.id", name=f"fk_{table}_user_id_users", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("level", sa.String(32), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        timestamp("consented_at", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("last_update_id", sa.BigInteger(), nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("channel", "external_id", name="uq_users_channel_external_id"),
    )

    op.create_table(
        "goals",
        sa.Column("id", sa.String(64), nullable=False),
        user_fk("goals"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_goals"),
    )
    op.create_index("ix_goals_user_id", "goals", ["user_id"])

    op.create_table(
        "coaching_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        user_fk("coaching_sessions"),
        sa.Column(
            "goal_id",
            sa.String(64),
            sa.ForeignKey("goals.id", name="fk_coaching_sessions_goal_id_goals", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        timestamp("started_at"),
        timestamp("closed_at", nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("action_due", sa.Date(), nullable=True),
        sa.Column("support", sa.Text(), nullable=True),
        sa.Column("obstacle", sa.Text(), nullable=True),
        sa.Column("if_then", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_coaching_sessions"),
    )
    op.create_index("ix_coaching_sessions_user_id", "coaching_sessions", ["user_id"])
    op.create_index("ix_coaching_sessions_goal_id", "coaching_sessions", ["goal_id"])

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "session_id",
            sa.String(64),
            sa.ForeignKey(
                "coaching_sessions.id",
                name="fk_answers_session_id_coaching_sessions",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        user_fk("answers"),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
    )
    op.create_index("ix_answers_user_id", "answers", ["user_id"])
    op.create_index("ix_answers_session_id_id", "answers", ["session_id", "id"])

    op.create_table(
        "scores",
        sa.Column("id", sa.Integer(), nullable=False),
        user_fk("scores"),
        sa.Column(
            "goal_id",
            sa.String(64),
            sa.ForeignKey("goals.id", name="fk_scores_goal_id_goals", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "session_id",
            sa.String(64),
            sa.ForeignKey(
                "coaching_sessions.id",
                name="fk_scores_session_id_coaching_sessions",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_scores"),
    )
    op.create_index("ix_scores_user_id", "scores", ["user_id"])
    op.create_index("ix_scores_session_id", "scores", ["session_id"])
    op.create_index("ix_scores_goal_id_kind_id", "scores", ["goal_id", "kind", "id"])

    op.create_table(
        "conversations",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_conversations_user_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("flow", sa.String(32), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("question_seq", sa.Integer(), nullable=False),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("user_id", name="pk_conversations"),
    )

    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        user_fk("checkins"),
        sa.Column(
            "goal_id",
            sa.String(64),
            sa.ForeignKey("goals.id", name="fk_checkins_goal_id_goals", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "session_id",
            sa.String(64),
            sa.ForeignKey(
                "coaching_sessions.id",
                name="fk_checkins_session_id_coaching_sessions",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        timestamp("due_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        timestamp("sent_at", nullable=True),
        timestamp("claimed_at", nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_checkins"),
        sa.UniqueConstraint("session_id", "kind", name="uq_checkins_session_id_kind"),
    )
    op.create_index("ix_checkins_user_id", "checkins", ["user_id"])
    op.create_index("ix_checkins_goal_id", "checkins", ["goal_id"])
    op.create_index("ix_checkins_status_due_at", "checkins", ["status", "due_at"])

    op.create_table(
        "safety_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        user_fk("safety_flags"),
        sa.Column("category", sa.String(64), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_safety_flags"),
    )
    op.create_index("ix_safety_flags_user_id", "safety_flags", ["user_id"])

    op.create_table(
        "invites",
        sa.Column("code", sa.String(64), nullable=False),
        timestamp("created_at"),
        timestamp("expires_at"),
        sa.Column(
            "used_by_user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_invites_used_by_user_id_users", ondelete="SET NULL"),
            nullable=True,
        ),
        timestamp("used_at", nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_invites"),
    )


def downgrade() -> None:
    for table in (
        "invites",
        "safety_flags",
        "checkins",
        "conversations",
        "scores",
        "answers",
        "coaching_sessions",
        "goals",
        "users",
    ):
        op.drop_table(table)
