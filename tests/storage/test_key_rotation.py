"""Key rotation: every value ends under the new key, in batches, resumable after a crash."""

from __future__ import annotations

import logging
import os

import pytest
from sqlalchemy import Engine, insert, select, text, update

from storage.encryption import KeyRing, UnknownKey, set_keyring, stored_key_id
from storage.key_rotation import (
    BatchDone,
    RotationTarget,
    encrypted_columns,
    key_census,
    remaining,
    rotate,
    rotate_logged,
)
from tests.storage.encryption_support import (
    ANSWERS,
    distinctive_words,
    metadata,
    notes,
    notes_engine,
    raw_values,
)

__all__ = ["notes_engine"]  # a fixture

TARGETS = encrypted_columns(metadata)
ROWS = 23  # batches of 5: four full, one short


class Crash(Exception):
    pass


def expected(n: int) -> tuple[str, str | None, dict[str, object]]:
    answer = f"{ANSWERS[n % len(ANSWERS)]} (#{n})"
    return answer, (f"looking back: {answer}" if n % 3 else None), {"vars": {"goal": answer}}


def fill_under(engine: Engine, keyring: KeyRing) -> None:
    """ROWS rows: a third written before encryption existed, the rest under `keyring`."""
    set_keyring(keyring)
    with engine.begin() as connection:
        for n in range(ROWS):
            body, reflection, data = expected(n)
            if n % 3 == 0:
                connection.execute(
                    text("INSERT INTO notes (id, step, body, reflection) VALUES (:id, 'goal', :body, NULL)"),
                    {"id": n + 1, "body": body},
                )
                connection.execute(update(notes).where(notes.c.id == n + 1).values(data=data))
            else:
                connection.execute(
                    insert(notes).values(id=n + 1, step="goal", body=body, reflection=reflection, data=data)
                )


def read_all(notes_engine: Engine) -> list[tuple[str, str | None, dict[str, object]]]:
    with notes_engine.connect() as connection:
        rows = connection.execute(select(notes).order_by(notes.c.id)).all()
    return [(row.body, row.reflection, row.data) for row in rows]


def key_ids(notes_engine: Engine, column: str) -> set[str | None]:
    return {stored_key_id(value) for value in raw_values(notes_engine, column) if value}


def test_encrypted_columns_are_found_from_the_metadata() -> None:
    assert TARGETS == [
        RotationTarget("notes", "body", "id"),
        RotationTarget("notes", "reflection", "id"),
        RotationTarget("notes", "data", "id"),
    ]


def test_rotation_moves_every_value_to_the_new_key(notes_engine: Engine) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    fill_under(notes_engine, KeyRing(old_key))
    new = KeyRing(new_key, [old_key])
    set_keyring(new)
    try:
        report = rotate(notes_engine, TARGETS, new, batch_size=5)
        with_reflection = sum(1 for n in range(ROWS) if expected(n)[1])
        assert report.rewritten == {
            "notes.body": ROWS,
            "notes.reflection": with_reflection,
            "notes.data": ROWS,
        }
        assert report.total_unreadable == 0
        for column in ("body", "reflection", "data"):
            assert key_ids(notes_engine, column) == {new.current.id}
        assert remaining(notes_engine, TARGETS, new) == dict.fromkeys(report.rewritten, 0)

        # The old key is no longer needed.
        set_keyring(KeyRing(new_key))
        assert read_all(notes_engine) == [expected(n) for n in range(ROWS)]
    finally:
        set_keyring(None)


def test_a_rotation_stopped_after_one_batch_finishes_when_run_again(notes_engine: Engine) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    fill_under(notes_engine, KeyRing(old_key))
    new = KeyRing(new_key, [old_key])
    set_keyring(new)
    try:
        batches: list[BatchDone] = []

        def crash_after_first(batch: BatchDone) -> None:
            batches.append(batch)
            raise Crash

        with pytest.raises(Crash):
            rotate(notes_engine, TARGETS, new, batch_size=5, on_batch=crash_after_first)
        assert len(batches) == 1 and batches[0].rewritten == 5
        # The first batch is committed; the rest is still under the old key or plain.
        assert remaining(notes_engine, TARGETS, new)["notes.body"] == ROWS - 5
        assert key_ids(notes_engine, "body") == {new.current.id, KeyRing(old_key).current.id, None}
        # Mid-rotation, with the old key listed, everything reads as written.
        assert read_all(notes_engine) == [expected(n) for n in range(ROWS)]

        report = rotate(notes_engine, TARGETS, new, batch_size=5)
        assert report.rewritten["notes.body"] == ROWS - 5  # the first batch is not redone
        assert remaining(notes_engine, TARGETS, new) == dict.fromkeys(report.rewritten, 0)
        again = rotate(notes_engine, TARGETS, new, batch_size=5)
        assert again.total_rewritten == 0 and again.batches == 0

        set_keyring(KeyRing(new_key))
        assert read_all(notes_engine) == [expected(n) for n in range(ROWS)]
    finally:
        set_keyring(None)


def test_the_bot_writing_during_rotation_keeps_its_value(notes_engine: Engine) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    fill_under(notes_engine, KeyRing(old_key))
    new = KeyRing(new_key, [old_key])
    set_keyring(new)
    try:

        def leader_edits_a_later_row(batch: BatchDone) -> None:
            if batch.target.column == "body" and batch.last_key == 5:
                with notes_engine.begin() as connection:
                    connection.execute(
                        update(notes).where(notes.c.id == 20).values(body="changed my mind: Dana")
                    )

        rotate(notes_engine, TARGETS, new, batch_size=5, on_batch=leader_edits_a_later_row)
        assert read_all(notes_engine)[19][0] == "changed my mind: Dana"
        assert key_ids(notes_engine, "body") == {new.current.id}
    finally:
        set_keyring(None)


def test_values_under_a_key_no_longer_configured_are_counted_and_left_alone(notes_engine: Engine) -> None:
    lost_key = os.urandom(32)
    fill_under(notes_engine, KeyRing(lost_key))
    new = KeyRing(os.urandom(32))  # the old key was not listed
    set_keyring(new)
    try:
        report = rotate(notes_engine, TARGETS, new, batch_size=5)
        plain_rows = len(range(0, ROWS, 3))
        assert report.rewritten["notes.body"] == plain_rows  # the legacy plain text only
        assert report.unreadable["notes.body"] == ROWS - plain_rows
        assert remaining(notes_engine, TARGETS, new)["notes.body"] == ROWS - plain_rows
        with pytest.raises(UnknownKey, match="not configured"):
            read_all(notes_engine)
    finally:
        set_keyring(None)


def test_the_census_counts_values_per_key_and_the_log_shows_no_text(
    notes_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    old_key = os.urandom(32)
    old = KeyRing(old_key)
    fill_under(notes_engine, old)
    plain = len(range(0, ROWS, 3))
    with_reflection = sum(1 for n in range(ROWS) if expected(n)[1])
    # body and data of every row, reflections where there are some; the first third's body was plain.
    assert key_census(notes_engine, TARGETS) == {
        None: plain,
        old.current.id: 2 * ROWS + with_reflection - plain,
    }

    new = KeyRing(os.urandom(32), [old_key])
    set_keyring(new)
    try:
        with caplog.at_level(logging.INFO, logger="test.rotation"):
            rotate_logged(notes_engine, TARGETS, new, logging.getLogger("test.rotation"), batch_size=10)
    finally:
        set_keyring(None)
    assert key_census(notes_engine, TARGETS) == {new.current.id: 2 * ROWS + with_reflection}
    assert "re-encrypted 10 value(s) of notes.body, up to id 10" in caplog.text
    assert "key rotation done" in caplog.text
    leaked = [word for word in distinctive_words() if word in caplog.text]
    assert leaked == []
