"""Stakeholder feedback in the database: rounds, invite codes (hashed) and answers.

A stakeholder is stored only as `responder`, a keyed hash of their chat identity: the
raw database holds no Telegram id of anyone who gave feedback. The key lives outside
the database ([feedback] hash_key, or a key file beside SQLite), so a copy of the
database alone cannot test a guessed id against it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from flows.feedback import Draft, code_hash
from flows.records import FeedbackLinkIssued
from flows.views import FeedbackRoundView, StakeholderAnswer
from storage.leaders import PRUNE_EVERY, SEEN_KEPT
from storage.models import FeedbackResponseRow, FeedbackRoundRow, LeaderRow, SeenStakeholderUpdateRow
from storage.upsert import insert_ignoring

DONE = "done"
SEEN = SeenStakeholderUpdateRow.__table__


def responder_id(key: bytes, channel: str, external_id: str) -> str:
    return hmac.new(key, f"{channel}:{external_id}".encode(), hashlib.sha256).hexdigest()


def update_digest(key: bytes, channel: str, external_id: str, update_id: int) -> str:
    """What `seen_stakeholder_updates` keeps of one update: a different hash from
    `responder_id`, so the table cannot be joined to anyone's answers."""
    message = f"update:{channel}:{external_id}:{update_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seen_update(
    session: Session, key: bytes, channel: str, external_id: str, update_id: int, now: datetime
) -> bool:
    """True if the stakeholder path handled this update before; otherwise remember it.

    Part of the event's transaction, like `LeaderRepository.seen_update`: a rollback
    leaves the update unseen, so Telegram's redelivery is handled.
    """
    if update_id % PRUNE_EVERY == 0:
        session.execute(delete(SEEN).where(SEEN.c.seen_at < now - SEEN_KEPT))
    digest = update_digest(key, channel, external_id, update_id)
    return not insert_ignoring(session, SEEN, ["digest"], digest=digest, seen_at=now)


# --- the leader's side ---------------------------------------------------------------


def issue_link(session: Session, user_id: int, record: FeedbackLinkIssued, now: datetime) -> None:
    latest = latest_round(session, user_id)
    if record.new_round or latest is None:
        if latest is not None:
            _close_link(latest, now)
        session.add(
            FeedbackRoundRow(
                user_id=user_id,
                number=(latest.number + 1) if latest is not None else 1,
                behaviour=record.behaviour or (latest.behaviour if latest is not None else ""),
                code_hash=record.code_hash,
                opened_at=now,
                expires_at=record.expires_at,
            )
        )
        return
    latest.code_hash = record.code_hash
    latest.expires_at = record.expires_at
    latest.revoked_at = None


def revoke_link(session: Session, user_id: int, now: datetime) -> None:
    latest = latest_round(session, user_id)
    if latest is not None:
        _close_link(latest, now)


def _close_link(row: FeedbackRoundRow, now: datetime) -> None:
    row.code_hash = None  # the old code can never match again
    row.revoked_at = row.revoked_at or now


def latest_round(session: Session, user_id: int) -> FeedbackRoundRow | None:
    return session.scalars(
        select(FeedbackRoundRow)
        .where(FeedbackRoundRow.user_id == user_id)
        .order_by(FeedbackRoundRow.number.desc())
        .limit(1)
    ).first()


def rounds_for_leader(
    session: Session, user_id: int, min_responses: int, now: datetime
) -> list[FeedbackRoundView]:
    """The leader's rounds, oldest first; a round's answers only once `min_responses` gave them."""
    rows = session.scalars(
        select(FeedbackRoundRow).where(FeedbackRoundRow.user_id == user_id).order_by(FeedbackRoundRow.number)
    ).all()
    views = []
    for row in rows:
        answers = session.scalars(
            select(FeedbackResponseRow).where(
                FeedbackResponseRow.round_id == row.id, FeedbackResponseRow.step == DONE
            )
        ).all()
        shown = tuple(
            StakeholderAnswer(a.relationship or "other", a.rating or 0, a.keep or "", a.change or "")
            for a in answers
            if a.rating is not None
        )
        views.append(
            FeedbackRoundView(
                number=row.number,
                behaviour=row.behaviour,
                answered=len(answers),
                expires_at=row.expires_at,
                link_open=row.code_hash is not None and row.expires_at > now,
                answers=shown if len(shown) >= min_responses else (),
                opened_at=row.opened_at,
            )
        )
    return views


def erase_rounds(session: Session, user_id: int) -> None:
    """A leader's /delete: their rounds go, and with them every answer given to them."""
    mine = select(FeedbackRoundRow.id).where(FeedbackRoundRow.user_id == user_id)
    session.execute(delete(FeedbackResponseRow).where(FeedbackResponseRow.round_id.in_(mine)))
    session.execute(delete(FeedbackRoundRow).where(FeedbackRoundRow.user_id == user_id))


# --- the stakeholder's side -------------------------------------------------------------


def round_for_code(session: Session, code: str, now: datetime) -> FeedbackRoundRow | None:
    """The round a link opens, if the link is still valid."""
    row = session.scalars(
        select(FeedbackRoundRow).where(FeedbackRoundRow.code_hash == code_hash(code))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def leader_name(session: Session, user_id: int) -> str:
    row = session.get(LeaderRow, user_id)
    # A leader who gave no name is still someone the stakeholder knows: the words say so.
    return (row.name if row is not None else None) or "Your colleague"


def response(session: Session, round_id: int, responder: str) -> FeedbackResponseRow | None:
    return session.scalars(
        select(FeedbackResponseRow).where(
            FeedbackResponseRow.round_id == round_id, FeedbackResponseRow.responder == responder
        )
    ).first()


def open_draft(session: Session, responder: str) -> FeedbackResponseRow | None:
    """The answers this person is in the middle of giving, if any."""
    return session.scalars(
        select(FeedbackResponseRow)
        .where(FeedbackResponseRow.responder == responder, FeedbackResponseRow.step != DONE)
        .with_for_update()
        .limit(1)
    ).first()


def start_draft(session: Session, round_id: int, responder: str, first_step: str) -> FeedbackResponseRow:
    # One conversation at a time: answers half-given to another link are dropped.
    session.execute(
        delete(FeedbackResponseRow).where(
            FeedbackResponseRow.responder == responder, FeedbackResponseRow.step != DONE
        )
    )
    row = FeedbackResponseRow(round_id=round_id, responder=responder, step=first_step)
    session.add(row)
    session.flush()
    return row


def draft_of(row: FeedbackResponseRow) -> Draft:
    return Draft(row.step, row.relationship, row.rating, row.keep, row.change)


def save_draft(row: FeedbackResponseRow, draft: Draft) -> None:
    row.step = draft.step
    row.relationship = draft.relationship
    row.rating = draft.rating
    row.keep = draft.keep
    row.change = draft.change


def drop(session: Session, row: FeedbackResponseRow) -> None:
    session.delete(row)


def withdraw(session: Session, responder: str) -> int:
    """Every answer this person gave, in every round: /withdraw, and /delete by a stakeholder."""
    result = session.execute(delete(FeedbackResponseRow).where(FeedbackResponseRow.responder == responder))
    return int(getattr(result, "rowcount", 0) or 0)
