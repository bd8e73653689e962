"""Implementations of the Bot API methods the emulator supports."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .config import EmulatorConfig
from .errors import (
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    WEBHOOK_CONFLICT,
    ApiError,
    bad_request,
    too_many_requests,
)
from .limits import (
    format_text,
    require,
    validate_callback_answer_text,
    validate_chat_action,
    validate_commands,
    validate_reply_markup,
)
from .params import UploadedFile
from .ratelimit import RateLimiter
from .state import Chat, EmulatorState, FileRecord, MessageVersion, SentMessage, now
from .updates import UpdateQueue
from .webhook import WebhookConfig, WebhookPusher

UPLOAD_LIMIT = 50 * 1024 * 1024
UPLOAD_LIMITS = {"photos": 10 * 1024 * 1024}
# Bot API sendPhoto: width + height at most 10000, the ratio of the sides at most 20.
PHOTO_SIDES_LIMIT = 10_000
PHOTO_RATIO_LIMIT = 20

Handler = Callable[[dict[str, Any]], Awaitable[Any]]

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_ACCEPTED_NOOPS = (
    "setMyDescription", "setMyShortDescription", "setMyName", "setChatMenuButton",
    "setMyDefaultAdministratorRights",
)  # fmt: skip


@dataclass(slots=True)
class CallbackQueryRecord:
    query_id: str
    update_id: int
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    created: float
    answered: bool = False


def commands_key(scope: Any, language_code: Any) -> str:
    scope_key = json.dumps(scope or {"type": "default"}, sort_keys=True)
    return f"{scope_key}|{language_code or ''}"


DEFAULT_COMMANDS_KEY = commands_key(None, None)


def _seconds(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0


class MethodHandlers:
    def __init__(
        self,
        state: EmulatorState,
        queue: UpdateQueue,
        pusher: WebhookPusher,
        limiter: RateLimiter,
        config: EmulatorConfig,
    ) -> None:
        self.state = state
        self.queue = queue
        self.pusher = pusher
        self.limiter = limiter
        self.config = config
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, str]]] = {}

    def table(self) -> dict[str, tuple[str, Handler]]:
        """Map lower-case method names (Telegram ignores case) to (canonical name, handler)."""
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.accept,
            "close": self.accept,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "getChat": self.get_chat,
            "getFile": self.get_file,
        }
        for name in _ACCEPTED_NOOPS:
            handlers[name] = self.accept
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    # helpers

    def _admit(self, method: str, chat: Chat) -> None:
        if method.lower() not in self.config.rate_limited_methods:
            return
        retry_after = self.limiter.acquire(chat.id)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def _reply_to(self, chat: Chat, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        message_id: Any = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id", message_id)
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        if self.state.find_message(chat, message_id) is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return int(message_id)

    def _message_for_edit(self, params: dict[str, Any]) -> tuple[Chat, SentMessage]:
        if params.get("inline_message_id") is not None:
            raise bad_request("message to edit not found")
        chat = self.state.writable_chat(params.get("chat_id"))
        require(params.get("message_id"), "message identifier is not specified")
        found = self.state.find_message(chat, params.get("message_id"))
        if found is None:
            raise bad_request("message to edit not found")
        if not isinstance(found, SentMessage):
            raise bad_request("message can't be edited")
        return chat, found

    def _store_file(self, value: Any, kind: str, missing: str) -> FileRecord:
        if isinstance(value, UploadedFile):
            # Bot API limits on uploads: nothing empty, and 10 MB for a photo, 50 MB otherwise.
            if not value.data:
                raise bad_request("file must be non-empty")
            if len(value.data) > UPLOAD_LIMITS.get(kind, UPLOAD_LIMIT):
                raise ApiError(413, "Request Entity Too Large")
            if kind == "photos":
                _check_photo(value.data)
            # Kept, with its name and type, so a test can read what the bot sent.
            return self.state.register_file(
                len(value.data), kind, value.data, file_name=value.filename, mime_type=value.content_type
            )
        if isinstance(value, str) and value:
            record = self.state.files.get(value)
            if record is not None:
                return record
            if value.startswith(("http://", "https://")):
                return self.state.register_file(0, kind)
            if value.startswith("attach://"):
                raise bad_request(missing)
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(missing)

    # methods

    async def accept(self, params: dict[str, Any]) -> bool:
        return True

    async def get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.state.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.pusher.config is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.queue.allowed_updates = [str(kind) for kind in allowed] or None
        offset = params.get("offset")
        limit = params.get("limit")
        return await self.queue.get_updates(
            offset if isinstance(offset, int) else None,
            min(max(limit, 1), 100) if isinstance(limit, int) and limit > 0 else 100,
            _seconds(params.get("timeout")),
        )

    async def set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if not url:
            return await self.delete_webhook(params)
        if not re.match(r"^https?://", url):
            raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self.queue.drop_pending()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.queue.allowed_updates = [str(kind) for kind in allowed] or None
        await self.pusher.set(
            WebhookConfig(
                url=url,
                secret_token=str(secret) if secret is not None else None,
                max_connections=int(params.get("max_connections") or 40),
                ip_address=params.get("ip_address"),
                allowed_updates=self.queue.allowed_updates,
            )
        )
        return True

    async def delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self.queue.drop_pending()
        await self.pusher.delete()
        return True

    async def get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.pusher.config is None:
            return {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(self.queue),
            }
        return self.pusher.config.info(len(self.queue))

    async def set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = validate_commands(params.get("commands"))
        key = commands_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = commands
        return True

    async def get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        key = commands_key(params.get("scope"), params.get("language_code"))
        return list(self.commands.get(key, []))

    async def delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.state.writable_chat(params.get("chat_id"))
        text = format_text(
            params.get("text"),
            params.get("parse_mode"),
            params.get("entities"),
            strict_html=self.config.strict_html,
        )
        markup = validate_reply_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        self._admit("sendMessage", chat)
        message = SentMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            date=now(),
            text=text.plain,
            raw_text=text.raw,
            parse_mode=text.parse_mode,
            reply_markup=markup,
            entities=text.entities,
            reply_to_message_id=reply_to,
        )
        chat.bot_messages[message.message_id] = message
        return self.state.message_to_api(message)

    async def _send_media(self, method: str, kind: str, field: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.state.writable_chat(params.get("chat_id"))
        record = self._store_file(params.get(field), kind, f"there is no {field} in the request")
        caption = format_text(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            strict_html=self.config.strict_html,
            caption=True,
        )
        markup = validate_reply_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        self._admit(method, chat)
        message = SentMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            date=now(),
            text=caption.plain or None,
            raw_text=caption.raw or None,
            parse_mode=caption.parse_mode,
            reply_markup=markup,
            entities=caption.entities,
            photo=field == "photo",
            document=field == "document",
            file_id=record.file_id,
            file_size=record.size,
            reply_to_message_id=reply_to,
        )
        chat.bot_messages[message.message_id] = message
        return self.state.message_to_api(message)

    async def send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("sendPhoto", "photos", "photo", params)

    async def send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media("sendDocument", "documents", "document", params)

    def _apply_edit(
        self,
        message: SentMessage,
        text: str | None,
        raw: str | None,
        parse_mode: str | None,
        entities: list[dict[str, Any]] | None,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        edit_date = now()
        message.text, message.raw_text, message.parse_mode = text, raw, parse_mode
        message.entities, message.reply_markup = entities, markup
        message.edit_date = edit_date
        message.edits.append(MessageVersion(text, raw, parse_mode, markup, edit_date))
        return self.state.message_to_api(message)

    async def edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        _, message = self._message_for_edit(params)
        if message.has_media:
            raise bad_request("there is no text in the message to edit")
        text = format_text(
            params.get("text"),
            params.get("parse_mode"),
            params.get("entities"),
            strict_html=self.config.strict_html,
        )
        markup = validate_reply_markup(params.get("reply_markup"))
        return self._apply_edit(message, text.plain, text.raw, text.parse_mode, text.entities, markup)

    async def edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        _, message = self._message_for_edit(params)
        if not message.has_media:
            raise bad_request("there is no caption in the message to edit")
        caption = format_text(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            strict_html=self.config.strict_html,
            caption=True,
        )
        markup = validate_reply_markup(params.get("reply_markup"))
        return self._apply_edit(
            message,
            caption.plain or None,
            caption.raw or None,
            caption.parse_mode,
            caption.entities,
            markup,
        )

    async def edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        _, message = self._message_for_edit(params)
        markup = validate_reply_markup(params.get("reply_markup"))
        return self._apply_edit(
            message,
            message.text,
            message.raw_text,
            message.parse_mode,
            message.entities,
            markup,
        )

    async def delete_message(self, params: dict[str, Any]) -> bool:
        chat = self.state.resolve_chat(params.get("chat_id"))
        message_id = require(params.get("message_id"), "message identifier is not specified")
        found = self.state.find_message(chat, message_id)
        if found is None:
            raise bad_request("message to delete not found")
        if isinstance(found, SentMessage):
            found.deleted = True
        else:
            chat.user_messages.pop(int(message_id), None)
        return True

    async def answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        record = self.callback_queries.get(query_id)
        ttl = self.config.callback_query_ttl
        if record is None or record.answered or (ttl is not None and time.monotonic() - record.created > ttl):
            raise bad_request(QUERY_TOO_OLD)
        text = params.get("text")
        validate_callback_answer_text(text)
        record.answered = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": bool(params.get("show_alert")),
                "url": params.get("url"),
                "cache_time": params.get("cache_time"),
                "update_id": record.update_id,
            }
        )
        return True

    async def send_chat_action(self, params: dict[str, Any]) -> bool:
        self.state.writable_chat(params.get("chat_id"))
        validate_chat_action(params.get("action"))
        return True

    async def get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.state.resolve_chat(params.get("chat_id"))
        return {
            **chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        record = self.state.files.get(str(params.get("file_id") or ""))
        if record is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.size,
            "file_path": record.path,
        }


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, read from its header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                return None
            marker = data[index + 1]
            length = int.from_bytes(data[index + 2 : index + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(data[index + 5 : index + 7], "big")
                width = int.from_bytes(data[index + 7 : index + 9], "big")
                return width, height
            index += 2 + length
    return None


def _check_photo(data: bytes) -> None:
    """What Telegram refuses in a sendPhoto upload: not an image, or out-of-bounds sides."""
    size = image_size(data)
    if size is None or min(size) <= 0:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > PHOTO_SIDES_LIMIT or max(width, height) / min(width, height) > PHOTO_RATIO_LIMIT:
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
