"""INSERT ... ON CONFLICT for whichever dialect the session is bound to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring(session: Session, model: type[Any], conflict: list[str], **values: Any) -> bool:
    """Insert a row unless one with the same `conflict` columns exists; True if inserted.

    Checking first and then inserting would let two processes both pass the check;
    the database settles the race instead.
    """
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    else:
        statement = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
