"""Saved conversations: positions written by the earlier, untyped flows still load and go on."""

from __future__ import annotations

import json
import pickle
from datetime import date

from flows.checkin import CheckinData
from flows.conversation import Conversation
from flows.grow import GrowData
from flows.records import ActionAgreed, AnswerGiven, CheckinResolved, ScoreGiven
from flows.registry import load_data
from flows.rescore import Candidate, RescoreData
from flows.state import FlowName, IdleData
from tests.support.coach_driver import Coach, FakeLookup, checkin_view, consented, goal_view, records_of

# As the flows before typed data saved them: every answer copied into the conversation,
# and keys (such as "short") that nothing reads any more.
OLD_GROW = {
    "session_id": "s-old",
    "seed": 42,
    "answers": {
        "goal": "run shorter meetings",
        "will_action": "cut the weekly to 30 minutes",
        "will_when": "2026-11-27",
        "will_support": "my deputy",
        "will_obstacle": "people overrun",
    },
    "options": ["a timer", "a written agenda", "stand-ups"],
    "vars": {"goal": "run shorter meetings", "due": "2026-11-27", "due_text": "Fri 27 Nov 2026"},
    "goal_id": "goal-1",
    "opened": True,
    "short": True,
}
OLD_CHECKIN = {
    "session_id": "s-check",
    "seed": 7,
    "checkin_id": 7,
    "goal_id": "goal-1",
    "kind": "action_due",
    "vars": {"goal": "run shorter meetings", "action": "cut the weekly"},
    "answers": {},
    "opened": True,
}
OLD_RESCORE = {
    "session_id": "s-re",
    "seed": 3,
    "candidates": [
        {"goal_id": "goal-1", "text": "run shorter meetings", "action": None, "due": None, "label": "run (5)"}
    ],
    "vars": {},
    "answers": {},
}


def test_an_old_grow_position_loads_with_its_values() -> None:
    data = load_data("grow", OLD_GROW)
    assert isinstance(data, GrowData)
    assert (data.session_id, data.seed, data.goal_id, data.opened) == ("s-old", 42, "goal-1", True)
    assert data.options == ["a timer", "a written agenda", "stand-ups"]
    assert data.answers["will_support"] == "my deputy"
    assert data.vars["due"] == "2026-11-27"


def test_a_leader_mid_grow_in_an_old_database_finishes_the_session() -> None:
    conv = consented()
    conv.flow, conv.state, conv.data = "grow", "will_if_then", json.loads(json.dumps(OLD_GROW))
    coach = Coach(conv=conv)
    coach.say("if the meeting runs over then I stop it anyway")
    assert records_of(coach.outcome.records, ActionAgreed) == [
        ActionAgreed(
            "goal-1",
            "s-old",
            "cut the weekly to 30 minutes",
            date(2026, 11, 27),
            "my deputy",
            "people overrun",
            "if the meeting runs over then I stop it anyway",
        )
    ]
    assert coach.asked("grow", "will_commitment")
    coach.say("9")
    assert ScoreGiven("goal-1", "s-old", "commitment", 9) in coach.outcome.records
    assert (coach.conv.flow, coach.conv.state) == ("idle", "idle")


def test_a_leader_mid_checkin_in_an_old_database_answers_it() -> None:
    conv = consented()
    conv.flow, conv.state, conv.data = "checkin", "did", dict(OLD_CHECKIN)
    coach = Coach(conv=conv, lookup=FakeLookup([goal_view()], [checkin_view()]))
    coach.say("done")
    assert CheckinResolved(7, "done") in coach.outcome.records
    assert AnswerGiven("s-check", "did", "Done") in coach.outcome.records
    assert "answers" not in coach.conv.data  # the answers table holds it; no copy is kept


def test_an_old_rescore_position_offers_its_saved_goals() -> None:
    data = load_data("rescore", OLD_RESCORE)
    assert isinstance(data, RescoreData)
    assert data.candidates == [Candidate("goal-1", "run shorter meetings", None, None, "run (5)")]
    conv = consented()
    conv.flow, conv.state, conv.data = "rescore", "pick", dict(OLD_RESCORE)
    coach = Coach(conv=conv, lookup=FakeLookup([goal_view()]))
    coach.say("1")
    assert coach.asked("rescore", "score")
    assert coach.conv.data["goal_id"] == "goal-1"


def test_saved_data_is_plain_json_and_pickles() -> None:
    for flow, saved in (("grow", OLD_GROW), ("checkin", OLD_CHECKIN), ("rescore", OLD_RESCORE)):
        again = load_data(flow, saved).to_dict()
        assert json.loads(json.dumps(again)) == again
        assert load_data(flow, again).to_dict() == again
    conv = Conversation(FlowName.GROW, "goal", load_data("grow", OLD_GROW).to_dict())
    assert pickle.loads(pickle.dumps(conv)) == conv
    assert json.dumps(conv.flow) == '"grow"'


def test_an_idle_leader_keeps_only_the_last_recap() -> None:
    assert IdleData().to_dict() == {}
    assert load_data("idle", {"last_recap": "Done.", "stray": 1}).to_dict() == {"last_recap": "Done."}
    assert CheckinData.from_dict({}).outcome is None
