"""A crisis in another language through the real service and database: the words are
stored nowhere and logged nowhere, and the language note survives a restart."""

from __future__ import annotations

import logging

import pytest

from flows.events import Event
from storage.db import Database
from tests.support.checkins import CHANNEL, ONBOARDING, new_service, say
from tests.support.coach_driver import phrasings
from tests.support.reliability import all_stored_text

CRISIS = "Llevo semanas juntando pastillas y ya tengo la fecha."
FRAGMENTS = ("juntando pastillas", "tengo la fecha", "llevo semanas")
NOTICE = phrasings("common", "language_notice")


def test_a_spanish_crisis_is_flagged_by_category_and_its_words_are_kept_nowhere(
    database: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = new_service(database)
    for message in (*ONBOARDING, "UTC"):
        say(service, 1, message)
    handled = say(service, 1, CRISIS)
    assert len(handled.replies) == 1 and "not a therapist" in handled.replies[0].text
    stored = all_stored_text(database_url)
    assert any(table == "safety_flags" and value == "suicide" for table, _column, value in stored)
    for table, column, value in stored:
        assert not any(fragment in value.lower() for fragment in FRAGMENTS), (table, column)
    logged = caplog.text.lower()
    assert not any(fragment in logged for fragment in FRAGMENTS)


def test_the_language_note_is_said_once_even_after_a_restart(database: Database) -> None:
    service = new_service(database)
    for message in (*ONBOARDING, "UTC"):
        say(service, 2, message)
    first = say(service, 2, "Quiero mejorar la comunicación con mi equipo y no sé por dónde empezar")
    assert first.replies[0].text in NOTICE
    # A new service (a restarted bot) on the same database.
    again = new_service(database)
    later = again.handle(CHANNEL, "2", Event.message("Mi equipo no me dice lo que piensa en las reuniones"))
    assert later.replies and not any(reply.text in NOTICE for reply in later.replies)
