"""Recently handled Telegram updates by exact id, replacing users.last_update_id.

A per-user high-water mark dropped every update after Telegram restarted its ids at a
lower value (a week without updates, a new token, a moved database): existing leaders
were ignored for good. Each user's last id is carried over, so an update redelivered
across the upgrade is still recognised.

Revision ID: 0003
Revises: 0002
Create Date: 2025-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_updates",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_seen_updates_user_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "update_id", name="pk_seen_updates"),
    )
    op.create_index("ix_seen_updates_seen_at", "seen_updates", ["seen_at"])
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as UTC text without offset, as storage.utc does
    bind.execute(
        sa.text(
            "INSERT INTO seen_updates (user_id, update_id, seen_at)"
            " SELECT id, last_update_id, :now FROM users WHERE last_update_id IS NOT NULL"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
        {"now": now},
    )
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): rebuilding the users table in
    # batch mode would cascade-delete every row that refers to it.
    op.drop_column("users", "last_update_id")


def downgrade() -> None:
    op.add_column("users", sa.Column("last_update_id", sa.BigInteger(), nullable=True))
    op.get_bind().execute(
        sa.text(
            "UPDATE users SET last_update_id ="
            " (SELECT max(update_id) FROM seen_updates WHERE seen_updates.user_id = users.id)"
        )
    )
    op.drop_index("ix_seen_updates_seen_at", table_name="seen_updates")
    op.drop_table("seen_updates")
