"""A small table with encrypted columns, built here so the tests stand apart from the models."""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, text

from storage.encryption import EncryptedJSON, EncryptedText

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("step", String(32)),
    Column("body", EncryptedText("notes.body")),
    Column("reflection", EncryptedText("notes.reflection"), nullable=True),
    Column("data", EncryptedJSON("notes.data"), nullable=True),
)

# How leaders really answer: short, long, typos, other languages, emoji.
ANSWERS = [
    "I want my team to stop waiting for me to approve every deploy",
    "honestly i dont know, maybe delegate the hiring loop to Marta??",
    "Priya runs Thursday's retro, I only listen",
    "Mehr Vertrauen ins Team, weniger Mikromanagement 💪",
    "ok",
    "Block 2h Friday mornings for strategy — no Slack, no meetings, phone in the drawer. "
    "If someone escalates I'll point them to Dana as the on-call lead for that slot.",
]


def distinctive_words() -> set[str]:
    return {word.strip("?,.—") for answer in ANSWERS for word in answer.split() if len(word) >= 5}


def raw_values(engine: Engine, column: str) -> list[str | None]:
    """What is in the database, read around the column type."""
    with engine.connect() as connection:
        return list(connection.execute(text(f"SELECT {column} FROM notes ORDER BY id")).scalars())
