"""PTB's ExtBot, hardened against two ways one update could hurt every leader.

1. An update this version of python-telegram-bot cannot parse (Telegram adds types and
   fields over time) makes PTB's `get_updates` raise for the whole batch; the updater
   logs it and polls the same batch again, forever, so nobody gets an answer. Here such
   an update is replaced by a bare `{"update_id": …}`: PTB confirms it like any other,
   no handler reacts to it, and the updates behind it flow.
2. PTB logs whole updates and API parameters, which hold what leaders wrote: at DEBUG
   for every call, and at CRITICAL when an update cannot be parsed. Neither may reach
   the log, whatever the configured level.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.ext import ExtBot

log = logging.getLogger("grow_coach.telegram")

# Loggers of PTB that write update contents or request parameters.
PAYLOAD_LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
    "telegram.ext.Application",
    "telegram.request.BaseRequest",
)
WITHHELD = "(contents not logged: they may hold what a leader wrote)"


class CoachBot(ExtBot[Any]):
    async def _do_post(
        self,
        endpoint: str,
        data: JSONDict,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> bool | JSONDict | list[JSONDict]:
        result = await super()._do_post(
            endpoint,
            data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if endpoint == "getUpdates" and isinstance(result, list):
            return [update for raw in result if (update := self._readable(raw)) is not None]
        return result

    def _readable(self, raw: Any) -> JSONDict | None:
        """The update if PTB can parse it; else an empty one that only moves the offset on."""
        try:
            # PTB's de_json copies what it parses (TelegramObject._parse_data), so the
            # raw update it parses again afterwards is untouched.
            Update.de_json(raw, self)
            _check_shapes(raw)
            return raw  # type: ignore[no-any-return]
        except Exception as error:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            log.warning("update=%s unreadable (%s): skipped", update_id, type(error).__name__)
            if isinstance(update_id, int) and not isinstance(update_id, bool):
                return {"update_id": update_id}
            return None


MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


def _check_shapes(raw: Any) -> None:
    """PTB parses some wrongly shaped fields without complaint; handlers would then crash."""
    for kind in MESSAGE_KINDS:
        message = raw.get(kind)
        if message is None:
            continue
        chat = message.get("chat") if isinstance(message, dict) else None
        if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
            raise ValueError(f"{kind} without a chat")
        for field in ("text", "caption"):
            if field in message and not isinstance(message[field], str):
                raise ValueError(f"{kind}.{field} is not text")
    query = raw.get("callback_query")
    if query is not None and (not isinstance(query, dict) or not isinstance(query.get("data", ""), str)):
        raise ValueError("callback_query.data is not text")


class _WithholdPayloads(logging.Filter):
    """Keeps PTB's messages about failures, drops the update or request they carried."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if "invalid JSON data" in message:
            # A proxy's HTML error page in place of the API's JSON (a 502, say): PTB raises
            # it as a network error, which the bot retries. A warning, not a traceback.
            record.msg, record.args = "Bot API answered with something other than JSON", None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        elif "Received data was" in message:
            head = message.split("Received data was")[0].strip()
            record.msg, record.args = f"{head} {WITHHELD}".strip(), None
        return True


def keep_leaders_words_out_of_logs() -> None:
    """Call once logging is set up: PTB's payload logging stays off at any level."""
    threshold = max(logging.INFO, logging.getLogger().getEffectiveLevel())
    logging.getLogger("telegram").setLevel(threshold)
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _WithholdPayloads) for f in logger.filters):
            logger.addFilter(_WithholdPayloads())
