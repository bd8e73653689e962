"""INSERT ... ON CONFLICT for whichever dialect the session is bound to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring(session: Session, model: type[Any] | Table, conflict: list[str], **values: Any) -> bool:
    """Insert a row unless one with the same `conflict` columns exists; True if inserted.

    Checking first and then inserting would let two processes both pass the check;
    the database settles the race instead.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        # RETURNING rather than rowcount, which psycopg leaves at -1 for this INSERT.
        .returning(literal_column("1"))
    )
    return session.execute(statement).first() is not None
