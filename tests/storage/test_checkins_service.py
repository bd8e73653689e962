"""Check-ins through the real service and dispatcher, on SQLite and PostgreSQL, in-process.

The dispatcher's clock is a parameter here, so "the next morning" or "after three days of
downtime" is a value rather than a wait; everything else (engine, storage, the claim and
the commit) is what the bot runs.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from telegram.ext import Application

from bot.checkin_delivery import CheckinDelivery
from bot.coaching.contract import Claimed
from bot.coaching.local_coach import LocalCoach
from bot.coaching.service import CoachService
from bot.config.loader import Config
from bot.telegram.checkins import schedule_checkin_delivery
from flows.events import Event, Reply
from flows.settings import CoachSettings
from storage.checkin_delivery import claim_due
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.models import AnswerRow, CheckinRow, CoachingSessionRow, ConversationRow, GoalRow, ScoreRow
from tests.support.checkins import (
    ACTION,
    CHANNEL,
    FAST,
    PLAN,
    add_checkin,
    add_leader,
    by_kind,
    checkins,
    new_service,
    rows,
    say,
    seed_another_goal,
    seed_leader,
    set_due,
    user_row,
)
from tests.support.coach_driver import phrasings

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")
QUIET = CoachSettings(first_after=timedelta(seconds=2), quiet_hours=(time(21, 0), time(8, 0)))


def guided(flow: str, key: str, field: str = "ask", **values: object) -> list[str]:
    return phrasings(flow, key, field, "guided", name="Ann", action=ACTION, **values)


class Outbox:
    """The dispatcher's sender: what each leader would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Reply]]] = []

    async def __call__(self, claimed: Claimed, replies: list[Reply]) -> bool:
        self.sent.append((claimed.external_id, replies))
        return True

    def to(self, user: int) -> list[str]:
        return [reply.text for to, replies in self.sent if to == str(user) for reply in replies]


def dispatcher(service: CoachService, at: datetime, outbox: Outbox, **kwargs: object) -> CheckinDelivery:
    return CheckinDelivery(LocalCoach(service), outbox, worker="w1", clock=lambda: at, **kwargs)  # type: ignore[arg-type]


def texts(handled_replies: list[Reply]) -> list[str]:
    return [reply.text for reply in handled_replies]


# delivery


async def test_a_due_check_in_is_put_into_the_conversation_and_marked_sent_once(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 601, now=NOW)
    planned = by_kind(database, user_id)
    assert sorted(planned) == ["action_due", "first", "midway", "next_session"]
    assert planned["first"].due_at == NOW + timedelta(seconds=2)
    outbox = Outbox()
    at = NOW + timedelta(seconds=3)
    assert await dispatcher(service, at, outbox).run() == 1
    assert outbox.to(601) in ([text] for text in guided("checkin", "did", "recall_plan", if_then=PLAN))
    first = by_kind(database, user_id)["first"]
    assert (first.status, first.sent_at, first.claimed_by, first.attempts) == ("sent", at, "w1", 1)
    with database.session() as session:
        conversation = ConversationRepository(session).load(user_id)
    assert (conversation.flow, conversation.state) == ("checkin", "did")
    # Running again sends nothing more: the row is sent, the rest are not due.
    assert await dispatcher(service, at, outbox).run() == 0
    assert len(outbox.sent) == 1


async def test_the_telegram_dispatcher_leaves_a_terminal_leaders_check_in_to_the_terminal(
    database: Database,
) -> None:
    service = new_service(database)
    on_telegram = seed_leader(service, 611, now=NOW)
    in_terminal = seed_leader(service, 612, now=NOW, channel="terminal")
    outbox = Outbox()
    at = NOW + timedelta(seconds=3)
    assert await dispatcher(service, at, outbox).run() == 1
    assert [to for to, _ in outbox.sent] == ["611"]
    assert by_kind(database, on_telegram)["first"].status == "sent"
    assert by_kind(database, in_terminal)["first"].status == "pending"
    # Through the coach contract: each front end claims its own channel's leaders only.
    coach = LocalCoach(service)
    assert await coach.claim_checkins("telegram", at, "w2", 10, timedelta(days=1)) == []
    (claimed,) = await coach.claim_checkins("terminal", at, "w3", 10, timedelta(days=1))
    assert (claimed.channel, claimed.external_id) == ("terminal", "612")
    assert by_kind(database, in_terminal)["first"].claimed_by == "w3"


@pytest.mark.parametrize(
    ("outcome", "label", "reflect"),
    [("done", "Done", "ask_done"), ("partly", "Partly", "ask_partly"), ("not_yet", "Not yet", "ask_not_yet")],
)
async def test_each_answer_is_stored_with_the_outcome_and_a_fresh_rating(
    database: Database, outcome: str, label: str, reflect: str
) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 602, now=NOW)
    await dispatcher(service, NOW + timedelta(seconds=3), Outbox()).run()
    at = NOW + timedelta(minutes=5)
    assert texts(say(service, 602, label, at).replies) in ([t] for t in guided("checkin", "reflect", reflect))
    rating = say(service, 602, "the meeting moved twice", at).replies[-1]
    # A fresh rating of the behaviour, on the same 0-10 scale as the baseline.
    assert [choice.label for choice in rating.choices] == [str(n) for n in range(11)]
    replies = say(service, 602, "6", at).replies
    assert texts(replies)[-1] in guided("checkin", "next")
    assert [choice.label for choice in replies[-1].choices] == [
        "Keep the action, new date",
        "Choose a new action",
        "Start a new session",
    ]
    first = by_kind(database, user_id)["first"]
    assert (first.status, first.outcome) == ("answered", outcome)
    (checkin_session,) = rows(database, CoachingSessionRow, CoachingSessionRow.kind == "checkin")
    assert checkin_session.goal_id == first.goal_id
    stored = rows(database, AnswerRow, AnswerRow.session_id == checkin_session.id)
    answers = [(a.step, a.text) for a in stored]
    assert answers == [("did", label), ("reflect", "the meeting moved twice"), ("rating", "6")]
    scores = rows(database, ScoreRow, ScoreRow.kind == "checkin")
    assert [(s.value, s.goal_id, s.session_id) for s in scores] == [(6, first.goal_id, checkin_session.id)]


async def test_a_new_action_drops_the_old_nudges_but_keeps_the_next_session(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 603, now=NOW)
    reminder = by_kind(database, user_id)["next_session"].due_at
    await dispatcher(service, NOW + timedelta(seconds=3), Outbox()).run()
    at = NOW + timedelta(minutes=5)
    for answer in ("Not yet", "no time", "3"):
        say(service, 603, answer, at)
    replies = say(service, 603, "Choose a new action", at).replies
    # Options and Will again, for the same goal: no Goal or Reality questions.
    assert texts(replies)[0] in guided("checkin", "new_action", goal=rows(database, GoalRow)[0].text)
    assert texts(replies)[-1] in phrasings("grow", "options_first", style="guided", name="Ann")
    statuses = sorted((row.kind, row.status) for row in checkins(database, user_id))
    assert statuses == [
        ("action_due", "cancelled"),
        ("first", "answered"),
        ("midway", "cancelled"),
        ("next_session", "cancelled"),
        ("next_session", "pending"),
    ]
    kept = [row for row in checkins(database, user_id) if row.status == "pending"]
    assert [row.due_at for row in kept] == [reminder]


async def test_a_new_session_from_a_check_in_opens_with_where_they_stand(database: Database) -> None:
    service = new_service(database)
    seed_leader(service, 604, now=NOW)
    await dispatcher(service, NOW + timedelta(seconds=3), Outbox()).run()
    for answer in ("Done", "it worked", "8"):
        say(service, 604, answer, NOW)
    replies = say(service, 604, "Start a new session", NOW).replies
    assert texts(replies)[0] in guided("checkin", "new_session")
    # The last goal, its action, the check-in just answered and the rating trend.
    opening = texts(replies)[-1]
    for part in (ACTION, "done", "4 → 8"):
        assert part in opening, opening
    replies = say(service, 604, "Start another goal", NOW).replies
    assert texts(replies)[-1] in phrasings("grow", "goal", style="guided", name="Ann")


async def test_the_next_session_reminder_offers_to_start_or_wait(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 605, now=NOW)
    for kind in ("first", "midway", "action_due"):
        set_due(database, by_kind(database, user_id)[kind].id, NOW, status="answered")
    reminder = by_kind(database, user_id)["next_session"]
    outbox = Outbox()
    await dispatcher(service, reminder.due_at, outbox).run()
    # In the engagement agreed at onboarding: session 2 of 6, with a start and a "move it".
    reminded = guided("engagement", "reminder", "due", number=2, planned=6, days="3 days")
    assert outbox.to(605) in ([t] for t in reminded)
    ((_, (sent,)),) = outbox.sent
    assert [choice.label for choice in sent.choices] == ["Start the session", "Move it a few days"]
    # The leader stays between sessions: ignoring the reminder costs nothing.
    replies = say(service, 605, "/status", reminder.due_at).replies
    assert "session 2 of 6" in texts(replies)[0]


# snooze and quiet hours


async def test_snooze_moves_the_check_in_a_day_and_out_of_quiet_hours(database: Database) -> None:
    service = new_service(database, QUIET)
    evening = datetime(2026, 11, 25, 20, 30, tzinfo=BERLIN)  # Wednesday 20:30 in Berlin
    user_id = seed_leader(service, 606, timezone="Europe/Berlin", now=evening - timedelta(hours=1))
    first = by_kind(database, user_id)["first"]
    set_due(database, first.id, evening)
    await dispatcher(service, evening, Outbox()).run()
    pressed = evening + timedelta(minutes=45)  # 21:15: a day later is quiet again
    replies = say(service, 606, "Snooze a day", pressed).replies
    row = by_kind(database, user_id)["first"]
    assert row.status == "pending"
    assert row.due_at == datetime(2026, 11, 27, 8, 0, tzinfo=BERLIN)
    assert texts(replies) in ([t] for t in guided("checkin", "snoozed", when="Fri 27 Nov, 08:00"))
    # It comes back then, once, as a fresh delivery.
    outbox = Outbox()
    assert await dispatcher(service, row.due_at - timedelta(minutes=1), outbox).run() == 0
    assert await dispatcher(service, row.due_at, outbox).run() == 1


async def test_a_snooze_over_a_daylight_saving_change_keeps_the_leaders_clock(database: Database) -> None:
    service = new_service(database, QUIET)
    saturday = datetime(2026, 3, 28, 18, 0, tzinfo=BERLIN)  # clocks go forward that night
    user_id = seed_leader(service, 607, timezone="Europe/Berlin", now=saturday - timedelta(hours=1))
    set_due(database, by_kind(database, user_id)["first"].id, saturday)
    await dispatcher(service, saturday, Outbox()).run()
    say(service, 607, "Snooze a day", saturday)
    due = by_kind(database, user_id)["first"].due_at
    assert due.astimezone(BERLIN) == datetime(2026, 3, 29, 18, 0, tzinfo=BERLIN)
    assert due - saturday == timedelta(hours=23)


async def test_a_check_in_claimed_in_quiet_hours_is_released_to_the_morning(database: Database) -> None:
    service = new_service(database, QUIET)
    with database.session() as session:
        leader = add_leader(session, 608, timezone="Europe/Berlin")
        checkin_id = add_checkin(session, leader, "first", NOW)
    night = datetime(2026, 11, 25, 22, 0, tzinfo=BERLIN)
    with database.session() as session:
        (claimed,) = claim_due(session, night, "w1", 10)
    handled = service.deliver_checkin(claimed, "w1", night)
    assert handled.replies == []
    assert handled.deferred
    (row,) = rows(database, CheckinRow)
    morning = datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN)
    assert (row.id, row.status, row.due_at, row.claimed_by) == (checkin_id, "pending", morning, None)
    (conversation,) = rows(database, ConversationRow)
    assert conversation.flow == "idle"
    outbox = Outbox()
    assert await dispatcher(service, morning - timedelta(seconds=1), outbox).run() == 0
    assert await dispatcher(service, morning, outbox).run() == 1
    assert outbox.to(608) in ([t] for t in guided("checkin", "did"))


async def test_quiet_hours_are_the_leaders_own(database: Database) -> None:
    service = new_service(database, QUIET)
    with database.session() as session:
        add_checkin(session, add_leader(session, 609, timezone="America/New_York"), "first", NOW)
        add_checkin(session, add_leader(session, 610, timezone="Asia/Tokyo"), "first", NOW)
    outbox = Outbox()
    # 22:00 UTC: 17:00 in New York, 07:00 the next morning in Tokyo.
    assert await dispatcher(service, datetime(2026, 11, 25, 22, 0, tzinfo=UTC), outbox).run() == 1
    assert [external_id for external_id, _ in outbox.sent] == ["609"]
    tokyo = [row for row in rows(database, CheckinRow) if row.status == "pending"]
    assert [row.due_at for row in tokyo] == [datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))]


# a check-in that falls due mid-flow


async def test_a_check_in_due_mid_flow_waits_and_comes_when_the_flow_ends(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 611, now=NOW)
    first = by_kind(database, user_id)["first"]
    set_due(database, first.id, NOW + timedelta(hours=1))
    started = NOW + timedelta(minutes=50)
    assert texts(say(service, 611, "/timezone", started).replies)
    outbox = Outbox()
    due = NOW + timedelta(hours=1)
    assert await dispatcher(service, due + timedelta(minutes=5), outbox).run() == 0
    assert outbox.sent == []
    row = by_kind(database, user_id)["first"]
    assert (row.status, row.due_at, row.attempts) == ("pending", due, 0)
    replies = say(service, 611, "Europe/Berlin", due + timedelta(minutes=20)).replies
    # The flow's last word, then the check-in that waited for it.
    assert texts(replies)[-1] in guided("checkin", "did", "recall_plan", if_then=PLAN)
    row = by_kind(database, user_id)["first"]
    assert (row.status, row.sent_at) == ("sent", due + timedelta(minutes=20))
    assert await dispatcher(service, due + timedelta(minutes=30), outbox).run() == 0


async def test_a_check_in_claimed_just_as_a_flow_starts_comes_when_it_ends(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 618, now=NOW)
    due = by_kind(database, user_id)["first"].due_at
    with database.session() as session:
        (claimed,) = claim_due(session, due, "w1", 10)
    # Between the claim and the delivery the leader starts another flow.
    say(service, 618, "/timezone", due)
    handled = service.deliver_checkin(claimed, "w1", due)
    assert (handled.deferred, handled.replies) == (True, [])
    replies = say(service, 618, "UTC", due + timedelta(minutes=1)).replies
    assert texts(replies)[-1] in guided("checkin", "did", "recall_plan", if_then=PLAN)


async def test_only_the_latest_of_several_that_fell_due_mid_flow_comes(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 612, now=NOW)
    planned = by_kind(database, user_id)
    set_due(database, planned["first"].id, NOW + timedelta(hours=1))
    set_due(database, planned["midway"].id, NOW + timedelta(hours=2))
    say(service, 612, "/timezone", NOW + timedelta(minutes=30))
    outbox = Outbox()
    await dispatcher(service, NOW + timedelta(hours=3), outbox).run()
    replies = say(service, 612, "UTC", NOW + timedelta(hours=3)).replies
    assert texts(replies)[-1] in guided("checkin", "did", "midway")
    assert {row.kind: row.status for row in checkins(database, user_id)} == {
        "first": "expired",
        "midway": "sent",
        "action_due": "pending",
        "next_session": "pending",
    }
    assert outbox.sent == []


async def test_two_goals_due_at_once_come_one_after_the_other(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 617, now=NOW)
    seed_another_goal(service, 617, now=NOW)
    outbox = Outbox()
    assert await dispatcher(service, NOW + timedelta(seconds=3), outbox).run() == 1
    at = NOW + timedelta(minutes=5)
    for answer in ("Done", "good", "8", "Keep the action, new date"):
        say(service, 617, answer, at)
    replies = say(service, 617, "in 5 days", at).replies
    # The date read back (issue 12), the first check-in's last word, then straight on
    # to the other goal's, recalling its plan.
    assert texts(replies)[0] in guided("nudges", "understood_date", when="Mon 30 Nov")
    assert texts(replies)[1].startswith(("Got it. I'll check in on", "Noted — next check-in"))
    assert texts(replies)[-1] in guided("checkin", "did", "recall_plan", if_then=PLAN)
    firsts = [row for row in checkins(database, user_id) if row.kind == "first" and row.sent_at is not None]
    assert sorted(row.status for row in firsts) == ["answered", "sent"]
    assert await dispatcher(service, at, outbox).run() == 0


# who gets nothing


async def test_pause_stops_nudges_and_resume_brings_back_one_not_a_pile(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 613, now=NOW)
    assert texts(say(service, 613, "/pause", NOW).replies)[0] in guided("common", "paused")
    planned = by_kind(database, user_id)
    for kind, hours in (("first", 1), ("midway", 5), ("action_due", 9)):
        set_due(database, planned[kind].id, NOW + timedelta(hours=hours))
    outbox = Outbox()
    paused_until = NOW + timedelta(hours=10)
    for hour in range(1, 11):
        await dispatcher(service, NOW + timedelta(hours=hour), outbox).run()
    assert outbox.sent == []
    assert texts(say(service, 613, "/resume", paused_until).replies)[0] in guided("common", "resumed")
    assert await dispatcher(service, paused_until, outbox).run() == 1
    assert outbox.to(613) in ([t] for t in guided("checkin", "did", "recall_plan", if_then=PLAN))
    assert {row.kind: row.status for row in checkins(database, user_id)} == {
        "first": "expired",
        "midway": "expired",
        "action_due": "sent",
        "next_session": "pending",
    }


async def test_checkins_lists_what_is_planned_in_the_leaders_time(database: Database) -> None:
    service = new_service(database, dataclasses.replace(FAST, first_after=timedelta(days=2)))
    seed_leader(service, 614, timezone="America/New_York", now=NOW)
    (listing, *_) = say(service, 614, "/checkins", NOW).replies
    lines = listing.text.splitlines()
    assert lines[0] in guided("common", "checkins")
    # Closed Wednesday 10:00 in New York; the action is due in ten days.
    assert [line.split(": ", 1)[0] for line in lines[1:]] == [
        "• Fri 27 Nov, 10:00 — first check-in",
        "• Mon 30 Nov, 13:30 — halfway nudge",
        "• Sat 05 Dec, 17:00 — action due",
        "• Wed 09 Dec, 10:00 — next session",
    ]
    say(service, 614, "/pause", NOW)
    (listing, *_) = say(service, 614, "/checkins", NOW).replies
    assert listing.text.splitlines()[-1] in guided("common", "status_paused")


async def test_a_leader_who_blocked_the_bot_gets_nothing_more(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 615, now=NOW)
    service.set_active(CHANNEL, "615", False)
    assert {row.status for row in checkins(database, user_id)} == {"cancelled"}
    outbox = Outbox()
    assert await dispatcher(service, NOW + timedelta(days=20), outbox).run() == 0
    assert outbox.sent == []
    # Writing again is coming back: active, and their next session plans anew.
    say(service, 615, "/start", NOW + timedelta(days=20))
    assert user_row(database, user_id).active


async def test_a_leader_who_deleted_their_data_gets_nothing(database: Database) -> None:
    service = new_service(database)
    seed_leader(service, 616, now=NOW)
    say(service, 616, "/delete", NOW)
    say(service, 616, "1", NOW)  # the first button: erase
    assert rows(database, CheckinRow) == []
    assert rows(database, GoalRow) == []
    outbox = Outbox()
    assert await dispatcher(service, NOW + timedelta(days=20), outbox).run() == 0
    assert outbox.sent == []


# the dispatcher itself


async def test_a_full_batch_is_followed_by_the_next_and_never_more_than_a_batch_is_claimed(
    database: Database,
) -> None:
    service = new_service(database)
    with database.session() as session:
        for number in range(35):
            add_checkin(session, add_leader(session, 700 + number), "first", NOW - timedelta(seconds=number))
    in_flight: list[int] = []

    class CountingOutbox(Outbox):
        async def __call__(self, claimed: Claimed, replies: list[Reply]) -> bool:
            with database.session() as session:
                in_flight.append(
                    session.scalar(select(func.count()).where(CheckinRow.status == "claimed")) or 0
                )
            return await super().__call__(claimed, replies)

    outbox = CountingOutbox()
    assert await dispatcher(service, NOW, outbox, batch_size=10).run() == 35
    assert sorted(external_id for external_id, _ in outbox.sent) == [str(700 + n) for n in range(35)]
    assert max(in_flight) < 10
    assert {row.status for row in rows(database, CheckinRow)} == {"sent"}


def test_the_job_queue_holds_one_job_however_many_check_ins_there_are(database: Database) -> None:
    with database.session() as session:
        leader = add_leader(session, 800)
        for kind in ("first", "midway", "action_due", "next_session"):
            add_checkin(session, leader, kind, NOW + timedelta(days=3))
    application = Application.builder().token("123:TEST").build()
    schedule_checkin_delivery(application, Config(), LocalCoach(new_service(database)))
    assert application.job_queue is not None
    (job,) = application.job_queue.jobs()
    assert job.name == "checkin-dispatcher"
    assert job.job.trigger.interval == Config().checkins.dispatch_every


async def test_a_grace_of_zero_still_sends_what_is_due_now(database: Database) -> None:
    config = Config()
    config = dataclasses.replace(config, checkins=dataclasses.replace(config.checkins, grace=timedelta(0)))
    application = Application.builder().token("123:TEST").build()
    service = new_service(database)
    installed = schedule_checkin_delivery(application, config, LocalCoach(service))
    with database.session() as session:
        add_checkin(session, add_leader(session, 801), "first", NOW - timedelta(seconds=4))
        add_checkin(session, add_leader(session, 802), "first", NOW - timedelta(hours=2))
    outbox = Outbox()
    late = dispatcher(service, NOW, outbox, grace=installed.grace)
    assert await late.run() == 1
    assert [external_id for external_id, _ in outbox.sent] == ["801"]


def test_the_leaders_local_date_is_used_for_the_plan(database: Database) -> None:
    # 23:30 in UTC is already Thursday in Tokyo: "in 10 days" counts from Thursday.
    service = new_service(database)
    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    user_id = seed_leader(service, 803, timezone="Asia/Tokyo", now=late)
    action_due = by_kind(database, user_id)["action_due"].due_at
    assert action_due.astimezone(ZoneInfo("Asia/Tokyo")) == datetime(
        2026, 12, 6, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo")
    )
    assert date(2026, 12, 6) - late.astimezone(ZoneInfo("Asia/Tokyo")).date() == timedelta(days=10)


__all__ = ["Event"]


async def test_a_new_time_zone_keeps_pending_check_ins_at_the_leaders_clock(database: Database) -> None:
    # Issue 12: check-ins planned in New York kept their UTC instants after a move to
    # Mumbai, so the 17:00 "action due" nudge arrived at 03:30 there, in quiet hours.
    settings = dataclasses.replace(QUIET, first_after=timedelta(days=2))
    service = new_service(database, settings)
    user_id = seed_leader(service, 619, timezone="America/New_York", now=NOW)
    new_york, kolkata = ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")
    before = {row.kind: row.due_at.astimezone(new_york) for row in checkins(database, user_id)}
    say(service, 619, "/timezone", NOW)
    handled = say(service, 619, "Mumbai", NOW)
    assert handled.replies[0].text in guided(
        "nudges", "understood_zone", zone="Asia/Kolkata — 20:30 there now"
    )
    assert user_row(database, user_id).timezone == "Asia/Kolkata"
    after = {row.kind: row.due_at.astimezone(kolkata) for row in checkins(database, user_id)}
    assert {kind: due.strftime("%a %d %b %H:%M") for kind, due in after.items()} == {
        kind: due.strftime("%a %d %b %H:%M") for kind, due in before.items()
    }
    assert after["action_due"].strftime("%H:%M") == "17:00"
    assert all(time(8, 0) <= due.time() < time(21, 0) for due in after.values())
