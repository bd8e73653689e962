"""EncryptedText / EncryptedJSON columns: what the database holds, what the code reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, make_url, select, text
from sqlalchemy.exc import StatementError

from storage.encryption import DecryptionFailed, KeyRing, KeyringNotSet, is_encrypted, set_keyring
from tests.storage.encryption_support import (
    ANSWERS,
    distinctive_words,
    encryption_keyring,
    notes,
    notes_engine,
    raw_values,
)

__all__ = ["encryption_keyring", "notes_engine"]  # fixtures


def test_answers_read_back_as_written_but_are_stored_encrypted(
    notes_engine: Engine, encryption_keyring: KeyRing
) -> None:
    with notes_engine.begin() as connection:
        for n, answer in enumerate(ANSWERS):
            connection.execute(
                insert(notes).values(
                    step=f"step{n}", body=answer, reflection=answer.upper(), data={"goal": answer, "n": n}
                )
            )
    with notes_engine.connect() as connection:
        rows = connection.execute(select(notes).order_by(notes.c.id)).all()
    assert [row.body for row in rows] == ANSWERS
    assert [row.reflection for row in rows] == [answer.upper() for answer in ANSWERS]
    assert [row.data for row in rows] == [{"goal": answer, "n": n} for n, answer in enumerate(ANSWERS)]

    for column in ("body", "reflection", "data"):
        assert all(is_encrypted(value) for value in raw_values(notes_engine, column))
    assert raw_values(notes_engine, "step") == [f"step{n}" for n in range(len(ANSWERS))]


def test_the_raw_database_holds_none_of_the_leaders_words(
    notes_engine: Engine, encryption_keyring: KeyRing, database_url: str
) -> None:
    with notes_engine.begin() as connection:
        for answer in ANSWERS:
            connection.execute(
                insert(notes).values(step="plainstep", body=answer, data={"vars": {"goal": answer}})
            )
    if notes_engine.dialect.name == "sqlite":
        notes_engine.dispose()
        database = Path(make_url(database_url).database or "")
        stored = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
        haystack = stored.decode("utf-8", errors="replace")
    else:
        with notes_engine.connect() as connection:
            haystack = "\n".join(str(row) for row in connection.execute(text("SELECT * FROM notes")))
    found = [word for word in distinctive_words() if word.lower() in haystack.lower()]
    assert found == []
    # The unencrypted column is found: the search itself works.
    assert "plainstep" in haystack


def test_empty_and_missing_values_pass_through(notes_engine: Engine, encryption_keyring: KeyRing) -> None:
    with notes_engine.begin() as connection:
        connection.execute(insert(notes).values(step="a", body="", reflection=None, data=None))
    assert raw_values(notes_engine, "body") == [""]
    assert raw_values(notes_engine, "reflection") == [None]
    with notes_engine.connect() as connection:
        row = connection.execute(select(notes)).one()
    assert (row.body, row.reflection, row.data) == ("", None, None)


def test_rows_written_before_encryption_still_read(notes_engine: Engine, encryption_keyring: KeyRing) -> None:
    with notes_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO notes (step, body, data) VALUES ('goal', :body, :data)"),
            {"body": ANSWERS[2], "data": '{"goal": "Retro by Priya"}'},
        )
    with notes_engine.connect() as connection:
        row = connection.execute(select(notes)).one()
    assert row.body == ANSWERS[2]
    assert row.data == {"goal": "Retro by Priya"}


def test_a_value_swapped_between_columns_is_refused(
    notes_engine: Engine, encryption_keyring: KeyRing
) -> None:
    with notes_engine.begin() as connection:
        connection.execute(insert(notes).values(step="a", body="harmless", reflection=ANSWERS[0]))
        connection.execute(text("UPDATE notes SET body = reflection"))
    with (
        notes_engine.connect() as connection,
        pytest.raises(DecryptionFailed, match="another column") as caught,
    ):
        connection.execute(select(notes.c.body)).all()
    assert ANSWERS[0] not in str(caught.value)


def test_without_a_keyring_nothing_is_written_in_clear(notes_engine: Engine) -> None:
    set_keyring(None)
    with notes_engine.begin() as connection, pytest.raises(StatementError) as caught:
        connection.execute(insert(notes).values(step="a", body=ANSWERS[0]))
    assert isinstance(caught.value.orig, KeyringNotSet)
    assert "no encryption key" in str(caught.value) and ANSWERS[0] not in str(caught.value)
    assert raw_values(notes_engine, "body") == []
