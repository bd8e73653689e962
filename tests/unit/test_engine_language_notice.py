"""The engine says once per leader which language the coaching is in, and screens every
language for a crisis without keeping the words."""

from __future__ import annotations

import copy
import json

from flows.conversation import Conversation
from flows.engine import CoachEngine
from flows.language_notice import NOTICE_KEY
from flows.records import AnswerGiven, SafetyFlagged, SessionClosed
from tests.support.coach_driver import Coach, consented, grow_coach, phrasings, records_of

SPANISH_GOAL = "Quiero mejorar la comunicación con mi equipo y no sé por dónde empezar"
SPANISH_MORE = "Mi equipo no me dice lo que piensa en las reuniones"
NOTICE = phrasings("common", "language_notice")


def notices(coach: Coach) -> int:
    return sum(text in NOTICE for text in coach.texts)


def test_the_first_message_in_another_language_gets_the_note_before_the_next_question() -> None:
    coach = grow_coach()
    coach.say(SPANISH_GOAL)
    assert coach.texts[0] in NOTICE
    assert "English" in coach.texts[0]
    # The answer itself is taken as usual and the coaching goes on.
    assert records_of(coach.outcome.records, AnswerGiven)[0].text == SPANISH_GOAL
    assert coach.conv.state != "goal"
    assert len(coach.texts) > 1


def test_the_note_is_said_only_once_even_across_sessions_and_flows() -> None:
    coach = grow_coach()
    coach.say(SPANISH_GOAL)
    assert notices(coach) == 1
    coach.say(SPANISH_MORE)
    assert notices(coach) == 0
    coach.command("cancel")
    assert coach.conv.flow == "idle"
    coach.say(SPANISH_MORE)
    assert notices(coach) == 0
    coach.command("new")
    coach.say(SPANISH_GOAL)
    assert notices(coach) == 0


def test_the_note_is_remembered_through_a_restart() -> None:
    coach = grow_coach()
    coach.say(SPANISH_GOAL)
    assert notices(coach) == 1
    # What storage keeps: the position and the data as JSON, and a fresh engine.
    conv = coach.conv
    restored = Conversation(
        conv.flow, conv.state, json.loads(json.dumps(conv.data)), conv.question_seq, copy.copy(conv.profile)
    )
    assert restored.data[NOTICE_KEY] is True
    again = Coach(conv=restored, engine=CoachEngine())
    again.say(SPANISH_MORE)
    assert notices(again) == 0


def test_english_and_short_messages_never_get_the_note() -> None:
    coach = grow_coach()
    coach.say("I want to get better at giving feedback to my team")
    assert notices(coach) == 0
    coach = Coach(conv=consented())
    for text in ("hola", "ok", "Sí, claro", "Maria José de la Cruz"):
        coach.say(text)
        assert notices(coach) == 0
    assert NOTICE_KEY not in coach.conv.data


def test_a_crisis_in_spanish_gets_only_the_help_reply_and_its_words_are_kept_nowhere() -> None:
    coach = grow_coach()
    session_id = coach.conv.data["session_id"]
    coach.say("Estoy agotado y tengo un plan para acabar con todo")
    assert len(coach.texts) == 1
    assert "not a therapist" in coach.texts[0]
    assert coach.outcome.records == [SafetyFlagged("suicide"), SessionClosed(session_id, "safety")]
    stored = json.dumps(coach.conv.data) + repr(coach.outcome.records)
    assert "agotado" not in stored and "plan" not in stored
    # The language note was not stacked on top of the help reply, so it is still due.
    assert NOTICE_KEY not in coach.conv.data


def test_crisis_sentences_in_each_language_stop_the_session() -> None:
    for text in (
        "Ya no quiero vivir",
        "Ich will nicht mehr leben",
        "j'ai envie de disparaître pour toujours",
        "Estou juntando comprimidos há semanas",
    ):
        coach = grow_coach()
        coach.say(text)
        assert records_of(coach.outcome.records, SafetyFlagged), text
        assert not records_of(coach.outcome.records, AnswerGiven), text
        assert coach.conv.flow == "idle", text
