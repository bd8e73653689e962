"""Stakeholder feedback, second pass: offers at the engagement's two points, redelivered
stakeholder updates, and a leader part-way through answering someone else's link.

- engagements.feedback_offered: the points ("start", "closing") at which the leader was
  offered a feedback round, and those they took ("start.taken"), so nobody is asked twice
  for the same point and a second tap on "yes" opens no second round
- users.giving_feedback: true while a leader is answering another leader's feedback
  link; only then (or for someone with no users row) does a message go to the
  stakeholder path, so an ordinary leader message costs no feedback query
- seen_stakeholder_updates: Telegram updates the stakeholder path handled, so a
  redelivered one is not applied twice. Keyed by a keyed hash of (chat, update id), not
  by the responder hash feedback_responses holds: the two tables cannot be joined, and
  `seen_at` orders nobody's answers.

A leader who was answering a link across the upgrade picks it up again by opening it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "engagements",
        sa.Column("feedback_offered", sa.String(64), nullable=False, server_default=""),
    )
    op.add_column(
        "users",
        sa.Column("giving_feedback", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "seen_stakeholder_updates",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_seen_stakeholder_updates"),
    )
    op.create_index("ix_seen_stakeholder_updates_seen_at", "seen_stakeholder_updates", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_stakeholder_updates_seen_at", table_name="seen_stakeholder_updates")
    op.drop_table("seen_stakeholder_updates")
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild of users would cascade-delete.
    op.drop_column("users", "giving_feedback")
    op.drop_column("engagements", "feedback_offered")
