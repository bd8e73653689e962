"""Feedback rounds offered at the engagement's two points, through the real service and
database: one tap after the first session and after the session before the closing
review, never again for a point the leader turned down, and the same link /feedback gives.
The closing review then shows the stakeholders' change next to the leader's own rating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.coaching.contract import Handled
from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event, Reply
from flows.settings import CoachSettings
from storage.db import Database
from storage.models import EngagementRow, FeedbackRoundRow
from tests.support.checkins import ONBOARDING, grow_answers, rows, say

# Four sessions a day apart: session 2 is the midpoint review, 3 the one before the close.
FOUR = CoachSettings(session_interval=timedelta(days=1), engagement_sessions=4, quiet_hours=None)
ANN = 51
GOAL = "be a better leader — stop avoiding difficult conversations with my team"


def service_for(database: Database) -> CoachService:
    return CoachService(database, CoachEngine(FOUR), feedback_key=b"k" * 32)


def first_session(service: CoachService, now: datetime) -> Handled:
    handled = None
    for message in (*ONBOARDING, "UTC", *grow_answers(9)):
        handled = say(service, ANN, message, now)
    assert handled is not None
    return handled


def offer_in(handled: Handled) -> Reply | None:
    offers = [r for r in handled.replies if any(c.value.startswith("cmd:fb_offer") for c in r.choices)]
    return offers[-1] if offers else None


def press(service: CoachService, value: str, on: Reply, now: datetime) -> Handled:
    return service.handle("telegram", str(ANN), Event.pick(value, on.question, now))


def midpoint_review(service: CoachService, now: datetime) -> Handled:
    handled = None
    for message in ("/new", "7", "I raise things the same day now", "big launches", "keep"):
        handled = say(service, ANN, message, now)
    assert handled is not None
    return handled


LAST: list[Handled] = []


def answer_round(
    service: CoachService, start_param: str | None, ratings: tuple[int, ...], now: datetime
) -> None:
    for person, rating in zip((1001, 1002, 1003), ratings, strict=True):
        for message in (f"/start {start_param}", "1", str(rating), "asks first", "decide sooner"):
            say(service, person, message, now)


def another_goal(service: CoachService, now: datetime) -> Handled:
    """A GROW session on a second goal (the newest from then on)."""
    answers = grow_answers(9)
    answers[0] = "run better one-to-ones"
    del answers[1]
    handled = say(service, ANN, "/new", now)
    for message in ("another", *answers):
        handled = say(service, ANN, message, now)
    LAST[:] = [handled]
    return handled


def offered(database: Database) -> str:
    (engagement,) = rows(database, EngagementRow)
    return engagement.feedback_offered


def test_a_declined_offer_is_not_made_again_and_the_close_gets_its_own(database: Database) -> None:
    service = service_for(database)
    now = datetime.now(UTC)
    ended = first_session(service, now)
    offer = offer_in(ended)
    assert offer is not None and ended.replies[-1] is offer
    assert any("9/10" in r.text for r in ended.replies)  # the recap comes first
    assert "anonymous" in offer.text and "at least 3" in offer.text
    assert [c.label for c in offer.choices] == ["Yes, give me the link", "Not this time"]
    assert offered(database) == "start"

    skipped = press(service, "cmd:fb_skip", offer, now)
    assert "/feedback" in "\n".join(r.text for r in skipped.replies)
    assert rows(database, FeedbackRoundRow) == []

    # Session 2, the midpoint review: the start was declined, so nothing is offered.
    assert offer_in(midpoint_review(service, now + timedelta(days=1))) is None
    # Session 3 comes before the closing review: the round for the close is offered once.
    day3 = now + timedelta(days=2)
    closing = offer_in(another_goal(service, day3))
    assert closing is not None and "closing review" in closing.text
    assert offered(database) == "closing,start"
    # The first action's check-in, due meanwhile, follows at once; the offer outlives it.
    follows = LAST[0].replies[-1]
    assert follows is not closing and "talk to Sam about deadlines" in follows.text
    # Tapped in the middle of that check-in: the link comes, then the check-in's question again.
    accepted = press(service, closing.choices[0].value, closing, day3)
    assert [r for r in accepted.replies if r.start_param]
    assert accepted.replies[-1].text == follows.text
    assert accepted.replies[-1].question == follows.question
    say(service, ANN, "/cancel", day3)
    # A second tap opens no second round: it shows the one just opened, as /feedback does.
    again = press(service, closing.choices[0].value, closing, day3)
    assert not [r for r in again.replies if r.start_param]
    assert "round 1: 0 answered" in "\n".join(r.text for r in again.replies)
    assert len(rows(database, FeedbackRoundRow)) == 1


def test_accepting_gives_the_link_feedback_gives_and_the_close_asks_again(database: Database) -> None:
    service = service_for(database)
    now = datetime.now(UTC)
    offer = offer_in(first_session(service, now))
    assert offer is not None
    accepted = press(service, offer.choices[0].value, offer, now)
    linked = [r for r in accepted.replies if r.start_param]
    assert len(linked) == 1 and linked[0].start_param and linked[0].start_param.startswith("fb_")
    assert "{start_link}" in linked[0].text  # the invitation to forward, as /feedback sends it
    assert "round 1" in "\n".join(r.text for r in accepted.replies)
    (first,) = rows(database, FeedbackRoundRow)
    assert first.behaviour == GOAL
    answer_round(service, linked[0].start_param, (5, 4, 6), now)

    midpoint_review(service, now + timedelta(days=1))
    # Session 3 sets a newer goal; the offer before the close still names round 1's behaviour.
    handled = another_goal(service, now + timedelta(days=2))
    offer = offer_in(handled)
    assert offer is not None and "second round" in offer.text
    again = press(service, offer.choices[0].value, offer, now + timedelta(days=2))
    assert "round 2" in "\n".join(r.text for r in again.replies)
    say(service, ANN, "/cancel", now + timedelta(days=2))  # the check-in that followed the offer
    assert [r.behaviour for r in rows(database, FeedbackRoundRow)] == [GOAL, GOAL]
    second = next(r.start_param for r in again.replies if r.start_param)
    answer_round(service, second, (8, 7, 9), now + timedelta(days=2))

    # Session 4, the closing review: each goal's own change, and the stakeholders' beside it.
    day4 = now + timedelta(days=3)
    replies: list[Reply] = []
    for message in ("/new", "8", "I raise issues the same day", "launch weeks", "+1", "the weekly slot"):
        replies += say(service, ANN, message, day4).replies
    for message in ("6", "they run the agenda now", "my calendar", "0", "asking first"):
        replies += say(service, ANN, message, day4).replies
    summary = next(r.text for r in replies if "4 → 8" in r.text)
    assert "Your own rating: 4 → 8 (+4). Stakeholders: 5.0 → 8.0 (+3.0), 3 answers each round." in summary
    # The second goal had no round: no stakeholder line for it.
    assert summary.count("Stakeholders") == 1
    # Each goal's chart follows, drawn (the first with the stakeholder series).
    assert len([r for r in replies if r.attachment is not None]) == 2
