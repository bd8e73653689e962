"""Single-use, expiring invite codes for `[access] mode = "invite"`."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.models import InviteRow

# No 0/O or 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def create_invite(session: Session, now: datetime, ttl: timedelta) -> InviteRow:
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    row = InviteRow(code=code, created_at=now, expires_at=now + ttl)
    session.add(row)
    session.flush()
    return row


def redeem_invite(session: Session, code: str, user_id: int, now: datetime) -> bool:
    """Use a code once; False when it is unknown, used or expired."""
    result = session.execute(
        update(InviteRow)
        .where(
            InviteRow.code == code.strip().upper(),
            InviteRow.used_at.is_(None),
            InviteRow.expires_at > now,
        )
        .values(used_at=now, used_by_user_id=user_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def looks_like_code(text: str) -> bool:
    candidate = text.strip().upper()
    return len(candidate) == CODE_LENGTH and all(ch in ALPHABET for ch in candidate)
