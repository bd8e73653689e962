"""conversations.data becomes TEXT: it is now stored encrypted (storage/encryption.py).

The other free-text columns were TEXT already; what changes for them is what the code
writes into them, so they need no migration. Migrations before this one only ever ran
on plain text (0002 copies goals.text into goal_versions.text in SQL); a later one that
copies a free-text value from one column to another must decrypt and re-encrypt it
(storage.encryption.current_keyring(); Database installs the keys before migrating),
because each value is bound to its table and column. Rows written before encryption keep
their plain text and read as they are until `grow-coach keys rotate` encrypts them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On SQLite JSON was TEXT underneath already: the rebuild only renames the type
    # (conversations has no child tables, so rebuilding it deletes nothing).
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column(
            "data",
            type_=sa.Text(),
            existing_type=sa.JSON(),
            existing_nullable=False,
            postgresql_using="data::text",
        )


def downgrade() -> None:
    # JSON cannot hold an encrypted document: open every one with the process's keys
    # first (storage.db.Database installs them before migrating).
    from storage.encryption import current_keyring, is_encrypted

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT user_id, data FROM conversations")).all()
    for user_id, data in rows:
        if data and is_encrypted(data):
            plain = current_keyring().decrypt(data, "conversations.data")
            connection.execute(
                sa.text("UPDATE conversations SET data = :data WHERE user_id = :user_id"),
                {"data": plain, "user_id": user_id},
            )
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column(
            "data",
            type_=sa.JSON(),
            existing_type=sa.Text(),
            existing_nullable=False,
            postgresql_using="data::json",
        )
