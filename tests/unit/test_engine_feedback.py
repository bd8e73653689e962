"""The stakeholder pulse in the engine: the leader's /feedback, the aggregates (never one
person's answer), and the three questions a stakeholder answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from flows.content import load_content
from flows.events import Event
from flows.feedback import (
    Draft,
    Invitation,
    StakeholderFlow,
    code_hash,
    start_code,
)
from flows.feedback_summary import summarise
from flows.records import FeedbackLinkIssued
from flows.views import FeedbackRoundView, StakeholderAnswer
from tests.support.coach_driver import Coach, FakeLookup, consented, goal_view, records_of

EXPIRES = datetime(2026, 12, 30, tzinfo=UTC)


def round_view(
    number: int, answers: list[tuple[str, int]], *, answered: int | None = None
) -> FeedbackRoundView:
    given = tuple(
        StakeholderAnswer(rel, rating, f"keep {i}", f"change {i}") for i, (rel, rating) in enumerate(answers)
    )
    return FeedbackRoundView(
        number, "say no to late asks", answered if answered is not None else len(given), EXPIRES, True, given
    )


def test_feedback_gives_a_link_with_an_unguessable_code_and_keeps_only_its_hash() -> None:
    coach = Coach(conv=consented(), lookup=FakeLookup([goal_view()]))
    coach.command("feedback")
    issued = records_of(coach.records, FeedbackLinkIssued)
    linked = [reply for reply in coach.replies if reply.start_param]
    assert len(issued) == 1 and len(linked) == 1
    param = linked[0].start_param or ""
    assert param.startswith("fb_") and len(param) <= 64
    code = param.removeprefix("fb_")
    assert len(code) >= 22  # at least 128 bits in base64url
    assert issued[0].code_hash == code_hash(code) and code not in repr(issued[0])
    assert issued[0].new_round and issued[0].behaviour == goal_view().text
    assert linked[0].with_link("https://t.me/bot?start=" + param).text.endswith(param)


def test_feedback_needs_a_goal_first() -> None:
    coach = Coach(conv=consented(), lookup=FakeLookup())
    coach.command("feedback")
    assert not records_of(coach.records, FeedbackLinkIssued)
    assert "/new" in "\n".join(coach.texts)


def test_below_the_threshold_only_the_count_shows() -> None:
    lookup = FakeLookup([goal_view()])
    lookup.rounds = [round_view(1, [("peer", 9), ("report", 2)])]
    coach = Coach(conv=consented(), lookup=lookup)
    coach.command("feedback")
    shown = "\n".join(coach.texts)
    assert "2 answered" in shown and "keep 0" not in shown and "/10" not in shown


def test_groups_split_only_when_each_has_enough_people() -> None:
    three_and_three = [("peer", 8), ("peer", 6), ("peer", 7), ("report", 3), ("report", 4), ("report", 5)]
    summary = summarise([round_view(1, three_and_three)], 3)
    assert [(g.relationship, g.count, g.mean) for g in summary.rounds[0].groups] == [
        ("peer", 3, 7.0),
        ("report", 3, 4.0),
    ]
    # Three peers and one manager: the manager's rating would follow from the two means.
    lone_manager = [("peer", 8), ("peer", 6), ("peer", 7), ("manager", 1)]
    assert summarise([round_view(1, lone_manager)], 3).rounds[0].groups == ()
    assert summarise([round_view(1, lone_manager)], 3).rounds[0].mean == 5.5


def test_the_threshold_never_drops_below_three_and_comments_are_shuffled() -> None:
    two = summarise([round_view(1, [("peer", 5), ("peer", 6)])], 1)
    assert not two.rounds[0].shown
    many = [("peer", n) for n in range(10)]
    orders = {summarise([round_view(1, many)], 3, random.Random(seed)).rounds[0].keep for seed in range(5)}
    assert len(orders) > 1


def test_change_between_rounds() -> None:
    summary = summarise(
        [
            round_view(1, [("peer", 4), ("peer", 5), ("peer", 6)]),
            round_view(2, [("peer", 7), ("peer", 7), ("peer", 7)]),
        ],
        3,
    )
    assert summary.change == 2.0


def test_start_code_is_read_only_from_a_feedback_link() -> None:
    code = "A" * 32
    assert start_code(Event.command("start", text=f"/start fb_{code}")) == code
    assert start_code(Event.command("start", text="/start abc123")) is None
    assert start_code(Event.command("start", text="/start fb_../../etc")) is None
    assert start_code(Event.message(f"/start fb_{code}")) is None


def test_a_stakeholder_answers_as_people_write() -> None:
    flow = StakeholderFlow(load_content())
    invitation = Invitation("Ann", "say no to late asks")
    welcome = flow.welcome(invitation)
    assert "Ann" in welcome[0].text and "anonymous" in welcome[0].text
    draft = Draft()
    draft, replies = flow.answer(draft, Event.message("direct report"), invitation)
    assert draft.step == "relationship" and "pick one" in replies[0].text  # not a label: asked again
    draft, _ = flow.answer(draft, Event.message("2"), invitation)
    assert draft.relationship == "report"
    draft, replies = flow.answer(draft, Event.message("11"), invitation)
    assert draft.step == "rating" and "0 to 10" in replies[0].text
    draft, _ = flow.answer(draft, Event.message("a solid 7"), invitation)
    assert draft.rating == 7
    draft, replies = flow.answer(draft, Event.message("   "), invitation)
    assert draft.step == "keep"
    draft, _ = flow.answer(draft, Event.message("She shields us from the noise 🙏"), invitation)
    draft, replies = flow.answer(draft, Event.message("say no earlier, not at 6pm"), invitation)
    assert draft.done and draft.change == "say no earlier, not at 6pm"
    assert "/withdraw" in replies[-1].text


def test_a_stale_button_is_not_taken_as_an_answer() -> None:
    flow = StakeholderFlow(load_content())
    invitation = Invitation("Ann", "x")
    draft, _ = flow.answer(Draft(), Event.pick("peer", 1), invitation)
    draft2, _ = flow.answer(draft, Event.pick("peer", 1), invitation)  # the first question's button again
    assert draft2 == draft and draft.step == "rating"
