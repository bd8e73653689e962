"""Several webhook workers on one database: an ordered inbox per chat, turns, one send pace.

- update_inbox: updates received and committed before Telegram was answered, waiting to
  be handled in update-id order (the payload encrypted like every answer)
- leader_turns: which worker drains a chat's inbox, with a lease a killed worker's loses
- send_pace: when the next proactive message (a check-in) may go out, for the whole bot

Used only with `[telegram] workers = "shared"`; the tables start empty, so a leader
mid-session carries on untouched.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "update_inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name="pk_update_inbox"),
    )
    op.create_index("ix_update_inbox_chat", "update_inbox", ["channel", "external_id", "update_id"])
    op.create_index("ix_update_inbox_received_at", "update_inbox", ["received_at"])
    op.create_table(
        "leader_turns",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id", name="pk_leader_turns"),
    )
    op.create_index("ix_leader_turns_until", "leader_turns", ["until"])
    op.create_table(
        "send_pace",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_send_pace"),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
    op.drop_index("ix_leader_turns_until", table_name="leader_turns")
    op.drop_table("leader_turns")
    op.drop_index("ix_update_inbox_received_at", table_name="update_inbox")
    op.drop_index("ix_update_inbox_chat", table_name="update_inbox")
    op.drop_table("update_inbox")
