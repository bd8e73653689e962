"""Stakeholder feedback: rounds a leader opens, and the answers stakeholders give.

- feedback_rounds: one per round (1 = baseline), the hash of its invite code, expiry, revocation
- feedback_responses: one per stakeholder and round, under a keyed hash of who answered

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_feedback_rounds_user_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("behaviour", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_rounds"),
        sa.UniqueConstraint("user_id", "number", name="uq_feedback_rounds_user_id_number"),
        sa.UniqueConstraint("code_hash", name="uq_feedback_rounds_code_hash"),
    )
    op.create_index("ix_feedback_rounds_user_id", "feedback_rounds", ["user_id"])
    op.create_table(
        "feedback_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey(
                "feedback_rounds.id",
                name="fk_feedback_responses_round_id_feedback_rounds",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("responder", sa.String(64), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("relationship", sa.String(16), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("keep", sa.Text(), nullable=True),
        sa.Column("change", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_responses"),
        sa.UniqueConstraint("round_id", "responder", name="uq_feedback_responses_round_id_responder"),
    )
    op.create_index("ix_feedback_responses_round_id", "feedback_responses", ["round_id"])
    op.create_index("ix_feedback_responses_responder", "feedback_responses", ["responder"])


def downgrade() -> None:
    op.drop_index("ix_feedback_responses_responder", table_name="feedback_responses")
    op.drop_index("ix_feedback_responses_round_id", table_name="feedback_responses")
    op.drop_table("feedback_responses")
    op.drop_index("ix_feedback_rounds_user_id", table_name="feedback_rounds")
    op.drop_table("feedback_rounds")
