"""Goal attainment scaling: goals.expected_outcome, goals.attainment, goals.attainment_at.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("expected_outcome", "attainment", "attainment_at")


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch rebuild of goals (see 0002: on SQLite a rebuild
    # would cascade-delete every session, score and check-in of every goal).
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("goals")}
    if "expected_outcome" not in present:
        op.add_column("goals", sa.Column("expected_outcome", sa.Text(), nullable=True))
    if "attainment" not in present:
        op.add_column("goals", sa.Column("attainment", sa.Integer(), nullable=True))
    if "attainment_at" not in present:
        op.add_column("goals", sa.Column("attainment_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for column in reversed(COLUMNS):
            op.drop_column("goals", column)
        return
    # SQLite: the columns stay (a rebuild would cascade-delete the goal's rows), but what
    # they hold is the leader's own words, so it is cleared rather than left behind.
    op.execute("UPDATE goals SET expected_outcome = NULL, attainment = NULL, attainment_at = NULL")
