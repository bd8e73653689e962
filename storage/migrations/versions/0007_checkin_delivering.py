"""Check-ins confirmed by Telegram, and leaders an administrator revoked.

A check-in now waits in `delivering` (the leader's conversation is already in it) until
Telegram confirms the send; `retry_at` says when an unconfirmed one may be sent again.
`users.revoked_at` marks a leader `grow-coach admin revoke` shut out.

Revision ID: 0007
Revises: 0006
Create Date: 2025-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD and DROP COLUMN, never a batch rebuild: on SQLite rebuilding `users` would
# cascade-delete every row that refers to it (see 0002 and 0003).


def upgrade() -> None:
    op.add_column("checkins", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Rows caught mid-delivery go back to being claimed: the old code re-sends them.
    op.execute("UPDATE checkins SET status = 'claimed' WHERE status = 'delivering'")
    op.execute("UPDATE checkins SET status = 'expired' WHERE status = 'failed'")
    op.drop_column("users", "revoked_at")
    op.drop_column("checkins", "retry_at")
