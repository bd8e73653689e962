"""Timestamps that are always timezone-aware UTC, whichever database holds them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that never lets a naive or non-UTC value through.

    SQLite has no timestamp type: SQLAlchemy stores text without the offset and reads
    naive values back. Normalising to UTC before storing keeps the text sortable (the
    check-in delivery compares `due_at` as text there), and attaching UTC on the way out gives
    callers the same aware values PostgreSQL returns.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # Guessing a zone for a naive value would silently shift check-ins by hours.
            raise ValueError(f"naive datetime {value!r}: storage keeps only aware datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
