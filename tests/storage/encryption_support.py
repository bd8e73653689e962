"""A small table with encrypted columns, built here so the tests stand apart from the models,
and its fixtures (imported by the test modules that use them)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, create_engine, text

from storage.encryption import EncryptedJSON, EncryptedText, KeyRing, set_keyring

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


@pytest.fixture
def encryption_keyring() -> Iterator[KeyRing]:
    ring = KeyRing(os.urandom(32))
    set_keyring(ring)
    try:
        yield ring
    finally:
        set_keyring(None)


@pytest.fixture
def notes_engine(database_url: str) -> Iterator[Engine]:
    # hide_parameters as storage.db sets it: an error must not carry an answer into a log.
    engine = create_engine(database_url, hide_parameters=True)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
