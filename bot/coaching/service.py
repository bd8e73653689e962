"""The one path every front end takes: load the leader, run the engine, commit, then reply.

The transaction commits before `handle` returns, so a reply is only ever sent for an
answer that is already stored; a crash in between loses nothing the leader typed.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.coaching.access import AccessPolicy
from bot.coaching.contract import Claimed, Handled, StoreUnavailable
from bot.coaching.shared_workers import SharedWorkers
from flows import checkin
from flows.chart_replies import draw_charts, needs_drawing
from flows.content import load_content
from flows.engine import CoachEngine
from flows.events import Event, Reply
from flows.feedback import FIRST_STEP, Invitation, StakeholderFlow, start_code
from flows.records import DataErased
from flows.schedule import in_quiet_hours, out_of_quiet_hours
from flows.state import FlowName
from storage import feedback as feedback_store
from storage.checkin_delivery import (
    CLAIM_LEASE,
    cancel_one,
    cancel_pending,
    claim_due,
    confirm,
    due_for_leader,
    expire_stale,
    mark_delivering,
    mark_sent,
    release,
    send_failed,
)
from storage.conversations import ConversationRepository, Found
from storage.db import Database, why_unavailable
from storage.feedback import responder_id
from storage.invites import looks_like_code, redeem_invite
from storage.leader_history import LeaderHistory
from storage.leaders import LeaderFields, LeaderRepository
from storage.models import FeedbackRoundRow, LeaderRow

log = logging.getLogger(__name__)


class _Undeliverable(Exception):
    """The check-in's leader or goal is gone, or the leader paused: roll back, then cancel it."""


class _ClaimLost(Exception):
    """Another worker re-claimed this check-in after our lease ran out: roll back."""


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # a key of access.toml


def _maybe_stakeholder(known: LeaderFields | None, event: Event) -> bool:
    """Whether the event may be feedback rather than coaching: a feedback link, anyone
    without a users row, a leader part-way through answering a link, or /withdraw.
    An ordinary leader message is none of these and costs no feedback query."""
    if known is None or known.giving_feedback or start_code(event) is not None:
        return True
    return event.kind == "command" and event.value == "withdraw"


def _giving_feedback(known: LeaderRow | None, answering: bool) -> None:
    if known is not None and known.giving_feedback != answering:
        known.giving_feedback = answering


class CoachService(SharedWorkers):
    """The synchronous core; front ends reach it through a `bot.coaching.contract.Coach`."""

    def __init__(
        self,
        db: Database,
        engine: CoachEngine,
        access: AccessPolicy | None = None,
        *,
        resend_after: timedelta = CLAIM_LEASE,
        feedback_key: bytes | None = None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.access = access or AccessPolicy()
        # How long a check-in Telegram has not confirmed waits before it is sent again.
        self.resend_after = resend_after
        # Without a key no stakeholder can be told apart: feedback links then do nothing.
        self.feedback_key = feedback_key
        self.stakeholders = StakeholderFlow(engine.content)

    def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled:
        """Handle one event, commit, then draw any chart the replies ask for."""
        return self.drawn(self.handle_undrawn(channel, external_id, event, update_id=update_id))

    def handle_undrawn(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled:
        """`handle` with charts left for the caller to draw (`drawn`), e.g. on a worker
        thread, when this runs on an event loop."""
        try:
            with self.db.session() as session:
                leaders = LeaderRepository(session)
                # The usual answer: the leader, locked, with their position, in one query.
                found = ConversationRepository(session).find_locked(channel, external_id)
                known: LeaderFields | None = None if found is None else found.leader
                if _maybe_stakeholder(known, event):
                    # The longer way: someone new, a feedback link, /withdraw, a draft.
                    # A known leader is read again through the ORM (the feedback path
                    # changes the row; it is locked already); someone new has no row to
                    # read, so no second query looks for one.
                    orm_leader = None if found is None else leaders.find(channel, external_id, lock=True)
                    found = None
                    known = orm_leader
                    # Someone giving feedback need not be a leader, nor let in by access control.
                    as_stakeholder = self._stakeholder(
                        session, channel, external_id, event, orm_leader, update_id
                    )
                    if as_stakeholder is not None:
                        return as_stakeholder
                if known is None and event.kind == "choice" and self.access.allows_new(channel, external_id):
                    # A button under a message from before /delete (or a forged one): the
                    # press says nothing new, so no leader is created for it; the front end
                    # answers it as expired and says how to begin. Writing starts afresh.
                    hint = load_content(self.engine.settings.language).text("common", "start_hint")
                    return Handled([Reply(hint)], 0, expired=True)
                leader = known or leaders.get_or_create(channel, external_id)
                if known is None and not self.access.allows_new(channel, external_id):
                    event = self._admit_with_invite(session, leader.id, event)
                elif known is not None and (
                    known.revoked_at is not None or not self.access.allows_known(channel, external_id)
                ):
                    raise _Refused("not_allowed")
                if update_id is not None and leaders.seen_update(leader.id, update_id):
                    return Handled([], leader.id, duplicate=True)
                if not leader.active:
                    # Writing again after blocking the bot means they want it back.
                    leaders.set_active(leader.id, True)
                # Only a row found with the lock is passed on; a new one is locked in `load`.
                return self._run(session, leader.id, event, locked_leader=known, found=found)
        except _Refused as refusal:
            # The transaction rolled back: nothing about this person was kept.
            words = load_content(self.engine.settings.language).text("access", refusal.reason, "text")
            return Handled([Reply(words)], 0, refused=True)
        except OperationalError as error:
            # No "update=" here: that is the front end's line for the update it handled.
            log.warning(
                "user=%s (update %s) database unavailable: %s", external_id, update_id, why_unavailable(error)
            )
            raise StoreUnavailable from error

    def drawn(self, handled: Handled) -> Handled:
        """`handled` with its charts drawn as PNG attachments.

        Called after the commit: drawing takes about a hundred milliseconds a chart and
        must not hold the transaction (SQLite has one writer). A chart that cannot be
        drawn is left out; its reply still carries the same numbers in words.
        """
        if not needs_drawing(handled.replies):
            return handled
        try:
            replies = draw_charts(handled.replies, self.engine.content)
        except Exception as error:
            log.error("user=%s chart not drawn: %s", handled.user_id, type(error).__name__)
            replies = [dataclasses.replace(reply, chart=None) for reply in handled.replies]
        return dataclasses.replace(handled, replies=replies)

    # --- stakeholders ---------------------------------------------------------------

    def _stakeholder(
        self,
        session: Session,
        channel: str,
        external_id: str,
        event: Event,
        known: LeaderRow | None,
        update_id: int | None,
    ) -> Handled | None:
        """Handle the event as feedback from a stakeholder, or None to leave it to the coach."""
        code = start_code(event)
        if self.feedback_key is None:
            return self._say("bad_link") if code is not None else None
        if update_id is not None and feedback_store.seen_update(
            session, self.feedback_key, channel, external_id, update_id, event.now
        ):
            # A stakeholder has no users row for `seen_updates`: redelivered, already handled.
            return Handled([], known.id if known is not None else 0, duplicate=True)
        responder = responder_id(self.feedback_key, channel, external_id)
        if code is not None:
            return self._open_link(session, known, responder, code, event)
        command = event.value if event.kind == "command" else None
        if command == "withdraw":
            _giving_feedback(known, False)
            if feedback_store.withdraw(session, responder):
                return self._say("withdrawn")
            # A leader hears it from the engine, in the middle of whatever they were doing.
            return None if known is not None else self._say("nothing_to_withdraw")
        row = feedback_store.open_draft(session, responder)
        if row is None:
            # Marked as answering, but the round went (its leader deleted it): back to coaching.
            _giving_feedback(known, False)
            if command == "delete" and known is None:
                # Someone who only ever gave feedback: /delete removes exactly that.
                if feedback_store.withdraw(session, responder):
                    return self._say("erased")
            return None
        invitation = self._invitation(session, row.round_id)
        if command == "cancel":
            feedback_store.drop(session, row)
            _giving_feedback(known, False)
            return self._back_to_coaching(session, known, event, [self._say_reply("cancelled")])
        if event.kind == "command" and command != "start":
            replies = [
                self._say_reply("finish_first"),
                self.stakeholders.ask(feedback_store.draft_of(row), invitation),
            ]
            return Handled(replies, 0)
        if command == "start":
            return Handled([self.stakeholders.ask(feedback_store.draft_of(row), invitation)], 0)
        draft, replies = self.stakeholders.answer(feedback_store.draft_of(row), event, invitation)
        feedback_store.save_draft(row, draft)
        if draft.done:
            _giving_feedback(known, False)
            return self._back_to_coaching(session, known, event, replies)
        return Handled(replies, 0)

    def _open_link(
        self, session: Session, known: LeaderRow | None, responder: str, code: str, event: Event
    ) -> Handled:
        found = feedback_store.round_for_code(session, code, event.now)
        if found is None:
            return self._say("bad_link")
        if known is not None and known.id == found.user_id:
            return self._say("own_link")
        invitation = self._invitation(session, found.id)
        existing = feedback_store.response(session, found.id, responder)
        if existing is not None and existing.step == feedback_store.DONE:
            return self._say("already")
        # A leader's next messages go to the stakeholder path until they finish or cancel.
        _giving_feedback(known, True)
        if existing is not None:
            return Handled([self.stakeholders.ask(feedback_store.draft_of(existing), invitation)], 0)
        feedback_store.start_draft(session, found.id, responder, FIRST_STEP)
        return Handled(self.stakeholders.welcome(invitation), 0)

    def _back_to_coaching(
        self, session: Session, known: LeaderRow | None, event: Event, replies: list[Reply]
    ) -> Handled:
        """A leader who gave feedback mid-way through their own coaching is taken back to it."""
        if known is None or not self.access.allows_known(known.channel, known.external_id):
            return Handled(replies, 0)
        resumed = self._run(session, known.id, Event.command("start", now=event.now), locked_leader=known)
        return Handled(replies + resumed.replies, known.id)

    def _invitation(self, session: Session, round_id: int) -> Invitation:
        row = session.get(FeedbackRoundRow, round_id)
        assert row is not None  # a response cannot outlive its round (foreign key)
        return Invitation(feedback_store.leader_name(session, row.user_id), row.behaviour)

    def _say_reply(self, key: str) -> Reply:
        return self.stakeholders.say(key)

    def _say(self, key: str) -> Handled:
        return Handled([self._say_reply(key)], 0)

    def _admit_with_invite(self, session: Session, user_id: int, event: Event) -> Event:
        if self.access.mode != "invite":
            raise _Refused("not_allowed")
        words = (event.text or "").split()
        code = words[-1] if words else ""
        if not looks_like_code(code):
            raise _Refused("needs_invite")
        if not redeem_invite(session, code, user_id, event.now):
            raise _Refused("bad_invite")
        return Event.command("start", now=event.now)

    def claim_checkins(
        self, channel: str, now: datetime, worker: str, limit: int, grace: timedelta
    ) -> list[Claimed]:
        """Due check-ins of `channel`'s leaders for `worker` to deliver; stale ones (older
        than `grace`) expire.

        A check-in left unanswered for `grace` no longer holds back the next one. Only
        the channel's own: a front end never takes another one's leaders' check-ins.
        """
        return self._claim(now, worker, limit, grace, channel=channel)

    def claim_leader_checkins(
        self, leader: tuple[str, str], now: datetime, worker: str, grace: timedelta
    ) -> list[Claimed]:
        """One leader's (channel, external id) due check-in, as `claim_checkins` would.

        The terminal chat's: it shows its own leader's and leaves everyone else's to
        whichever front end they use.
        """
        return self._claim(now, worker, 1, grace, leader=leader)

    def _claim(
        self,
        now: datetime,
        worker: str,
        limit: int,
        grace: timedelta,
        *,
        channel: str | None = None,
        leader: tuple[str, str] | None = None,
    ) -> list[Claimed]:
        try:
            with self.db.session() as session:
                expired = expire_stale(session, now, grace)
                if expired:
                    log.info("expired %d stale check-ins", expired)
                return claim_due(
                    session,
                    now,
                    worker,
                    limit,
                    channel=channel,
                    leader=leader,
                    silence=grace,
                    lease=self.resend_after,
                )
        except OperationalError as error:
            log.warning("claiming check-ins: database unavailable: %s", why_unavailable(error))
            raise StoreUnavailable from error

    def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> Handled:
        """Put a claimed check-in into the leader's conversation and commit it as `delivering`.

        The replies are then sent by the caller, who reports back (`confirm_checkin`). A
        check-in already delivering (`claimed.resend`) asks its question again, unless the
        leader has moved on from it meanwhile.
        """
        return self.drawn(self.deliver_checkin_undrawn(claimed, worker, now))

    def deliver_checkin_undrawn(self, claimed: Claimed, worker: str, now: datetime) -> Handled:
        """`deliver_checkin` with charts left for the caller to draw (`drawn`)."""
        try:
            with self.db.session() as session:
                if not self.access.allows_known(claimed.channel, claimed.external_id):
                    # Taken off the allowlist since the check-in was planned.
                    raise _Undeliverable
                zone = claimed.timezone or "UTC"
                quiet = self.engine.settings.quiet_hours
                if not claimed.resend and in_quiet_hours(now, zone, quiet):
                    release(session, claimed.checkin_id, out_of_quiet_hours(now, zone, quiet))
                    return Handled([], claimed.user_id, deferred=True)
                timer = checkin.DUE
                if claimed.resend:
                    timer = checkin.RESEND
                elif claimed.takes_over:
                    timer = checkin.TAKE_OVER
                handled = self._run(session, claimed.user_id, Event.timer(timer, claimed.checkin_id, now))
                if claimed.resend and not handled.delivered:
                    # They are elsewhere now, so they had it: nothing to send again.
                    confirm(session, claimed.checkin_id, now)
                    return Handled([], claimed.user_id)
                if handled.deferred:
                    # Mid-flow: it stays due and goes out when the flow ends.
                    release(session, claimed.checkin_id, claimed.due_at)
                    return handled
                if not handled.delivered:
                    raise _Undeliverable
                if not mark_delivering(session, claimed.checkin_id, now, worker, self.resend_after):
                    raise _ClaimLost
                return handled
        except _Undeliverable:
            with self.db.session() as session:
                cancel_one(session, claimed.checkin_id)
        except _ClaimLost:
            log.info("checkin=%s claim taken over by another worker", claimed.checkin_id)
        except OperationalError as error:
            log.warning(
                "checkin=%s user=%s database unavailable: %s",
                claimed.checkin_id,
                claimed.user_id,
                why_unavailable(error),
            )
            raise StoreUnavailable from error
        return Handled([], claimed.user_id)

    def confirm_checkin(self, checkin_id: int, worker: str, now: datetime, sent: bool) -> None:
        """`sent` once Telegram confirmed it; after a failed send, another try later or `failed`."""
        try:
            with self.db.session() as session:
                if sent:
                    confirm(session, checkin_id, now)
                    return
                status = send_failed(session, checkin_id, now, worker)
                if status == "failed":
                    log.warning("checkin=%s given up after repeated failed sends", checkin_id)
        except OperationalError as error:
            raise StoreUnavailable from error

    def _run(
        self,
        session: Session,
        user_id: int,
        event: Event,
        locked_leader: LeaderFields | None = None,
        *,
        found: Found | None = None,
    ) -> Handled:
        conversations = ConversationRepository(session)
        conversation = conversations.load(user_id, locked_leader, found=found)
        was_busy = conversation.flow != "idle"
        if conversation.flow == FlowName.CHECKIN and event.kind != "timer":
            # An answer to a check-in proves it arrived, confirmed or not.
            confirm(session, int(conversation.data.get("checkin_id") or 0), event.now)
        history = LeaderHistory(session, user_id, self.engine.settings.feedback_min_responses)
        outcome = self.engine.handle(conversation, event, history)
        if self.feedback_key is not None and any(isinstance(r, DataErased) for r in outcome.records):
            # A leader's /delete also takes the feedback they gave other leaders; who they
            # are must be read before their users row goes.
            leader = session.get(LeaderRow, user_id)
            if leader is not None:
                feedback_store.withdraw(
                    session, responder_id(self.feedback_key, leader.channel, leader.external_id)
                )
        history.apply(outcome.records, event.now)
        if history.erased:
            # /delete took the users row too: nothing may be saved for them now, not even
            # where the conversation stands. Writing again makes them a new leader.
            return Handled(outcome.replies, user_id)
        if was_busy and conversation.flow == "idle" and event.kind != "timer":
            # A check-in that fell due during the flow was waiting for it to end.
            waiting = due_for_leader(session, user_id, event.now)
            if waiting is not None:
                later = self.engine.handle(conversation, Event.timer("checkin", waiting, event.now), history)
                if later.delivered:
                    history.apply(later.records, event.now)
                    mark_sent(session, waiting, event.now, None)
                    outcome.replies.extend(later.replies)
        conversations.save(user_id, conversation)
        return Handled(
            outcome.replies,
            user_id,
            deferred=outcome.deferred,
            delivered=outcome.delivered,
            expired=outcome.expired,
        )

    def ping(self) -> None:
        """The health check's: one trivial query, so a database that stopped answering shows."""
        try:
            with self.db.session() as session:
                session.execute(text("SELECT 1"))
        except OperationalError as error:
            log.warning("health check: database unavailable: %s", why_unavailable(error))
            raise StoreUnavailable from error

    def set_active(self, channel: str, external_id: str, active: bool) -> None:
        """A leader who blocked the bot gets nothing more: their pending check-ins end too."""
        with self.db.session() as session:
            leaders = LeaderRepository(session)
            leader = leaders.find(channel, external_id)
            if leader is None:
                # A group, or someone access control turned away: nobody to remember.
                return
            leaders.set_active(leader.id, active)
            if not active:
                cancel_pending(session, leader.id)

    def revoke(self, channel: str, external_id: str, now: datetime) -> bool:
        """Shut a leader out for good (`grow-coach admin revoke`); False if unknown.

        Their stored coaching stays; nothing more is sent, and whatever they write is
        refused (as for someone taken off the allowlist).
        """
        with self.db.session() as session:
            leaders = LeaderRepository(session)
            leader = leaders.find(channel, external_id, lock=True)
            if leader is None:
                return False
            leader.revoked_at = leader.revoked_at or now
            leaders.set_active(leader.id, False)
            cancel_pending(session, leader.id)
            return True
