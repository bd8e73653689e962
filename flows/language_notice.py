"""Tell a leader once, plainly, which language the coaching is in.

Leaders may write in their own language (the safety screen reads several, see
flows/safety.py), but the questions come from one content language. The first time a
message is clearly in another language (flows/language_guess.py), the coach says so;
never again for that leader. The fact is kept in the conversation data, which storage
saves with every answer, so a restart does not repeat it.
"""

from __future__ import annotations

from typing import Final

from flows.content import Content
from flows.conversation import Conversation
from flows.events import Event, Outcome, Reply
from flows.language_guess import other_language
from flows.records import DataErased, SafetyFlagged
from flows.settings import CoachSettings

# Only a flag: which language the leader wrote in is not kept.
NOTICE_KEY: Final[str] = "language_notice_given"


def remembered(conv: Conversation) -> bool:
    return bool(conv.data.get(NOTICE_KEY))


def after_turn(
    conv: Conversation,
    event: Event,
    outcome: Outcome,
    given_before: bool,
    content: Content,
    settings: CoachSettings,
) -> None:
    """Put the notice first among this turn's replies if it is due, and keep the flag.

    Runs after the engine has handled the event, because a change of flow replaces the
    conversation data the flag lives in. Not said next to the professional-help reply,
    which must stand on its own. Not kept after /delete: the leader asked for everything
    to go, so the coach may say it again.
    """
    erased = any(isinstance(record, DataErased) for record in outcome.records)
    given = given_before
    if (
        not given
        and event.kind == "text"
        and not erased
        and not any(isinstance(record, SafetyFlagged) for record in outcome.records)
        and other_language(event.text, settings.language) is not None
    ):
        name = conv.profile.name or "there"
        text = content.text("common", "language_notice", style=conv.profile.style, values={"name": name})
        outcome.replies.insert(0, Reply(text))
        given = True
    if given and not erased:
        conv.data[NOTICE_KEY] = True
