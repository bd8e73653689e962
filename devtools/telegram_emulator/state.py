"""Users, chats, messages and files known to the emulated Bot API server."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .errors import CHAT_NOT_FOUND, ApiError, bad_request


@dataclass(slots=True)
class MessageVersion:
    """One state of a bot message; ``SentMessage.edits`` keeps these in edit order."""

    text: str | None
    raw_text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    edit_date: int


@dataclass(slots=True, eq=False)
class SentMessage:
    """A message the bot sent. ``text`` is the plain text (or plain caption for media)."""

    message_id: int
    chat_id: int
    date: int
    text: str | None
    raw_text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    entities: list[dict[str, Any]] | None = None
    photo: bool = False
    document: bool = False
    file_id: str | None = None
    file_size: int | None = None
    reply_to_message_id: int | None = None
    edits: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    edit_date: int | None = None

    @property
    def has_media(self) -> bool:
        return self.photo or self.document

    def buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons() if "callback_data" in b]


@dataclass(slots=True)
class FileRecord:
    file_id: str
    file_unique_id: str
    size: int
    path: str
    data: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None


@dataclass(slots=True, eq=False)
class Chat:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    blocked: bool = False
    last_message_id: int = 0
    bot_messages: dict[int, SentMessage] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


def now() -> int:
    return int(time.time())


class EmulatorState:
    def __init__(self, bot_id: int, bot_first_name: str, bot_username: str) -> None:
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, Chat] = {}
        self._chats_by_username: dict[str, Chat] = {}
        self.files: dict[str, FileRecord] = {}
        self._files_by_path: dict[str, FileRecord] = {}
        self._file_counter = 0

    # users and chats

    def upsert_user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        user = self.users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
            self.users[user_id] = user
        elif first_name:
            user["first_name"] = first_name
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        return user

    def private_chat(self, user: dict[str, Any]) -> Chat:
        chat = self.chats.get(user["id"])
        if chat is None:
            chat = Chat(
                id=user["id"],
                type="private",
                first_name=user.get("first_name"),
                last_name=user.get("last_name"),
                username=user.get("username"),
            )
            self._add_chat(chat)
        return chat

    def group_chat(self, chat_id: int, chat_type: str, title: str | None) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(id=chat_id, type=chat_type, title=title or f"Chat {chat_id}")
            self._add_chat(chat)
        return chat

    def _add_chat(self, chat: Chat) -> None:
        self.chats[chat.id] = chat
        if chat.username:
            self._chats_by_username[chat.username.lower()] = chat

    def resolve_chat(self, chat_id: Any) -> Chat:
        """Find a chat from a chat_id parameter (int, numeric string or @username)."""
        chat: Chat | None = None
        if isinstance(chat_id, bool):
            chat = None
        elif isinstance(chat_id, int):
            chat = self.chats.get(chat_id)
        elif isinstance(chat_id, str):
            text = chat_id.strip()
            if text.startswith("@"):
                chat = self._chats_by_username.get(text[1:].lower())
            elif text.lstrip("-").isdigit():
                chat = self.chats.get(int(text))
        if chat is None:
            if chat_id is None or chat_id == "":
                raise bad_request("chat_id is empty")
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    def writable_chat(self, chat_id: Any) -> Chat:
        chat = self.resolve_chat(chat_id)
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    # messages

    def message_to_api(self, message: SentMessage) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": chat.to_api(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.has_media:
            record = self.files.get(message.file_id or "")
            if message.photo:
                data["photo"] = [self.photo_size(record)] if record else []
            else:
                data["document"] = self.document_dict(record) if record else {}
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        else:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.reply_to_message_id is not None:
            replied = chat.user_messages.get(message.reply_to_message_id) or (
                chat.bot_messages.get(message.reply_to_message_id)
            )
            if isinstance(replied, dict):
                data["reply_to_message"] = replied
            elif isinstance(replied, SentMessage) and replied is not message:
                data["reply_to_message"] = {
                    k: v for k, v in self.message_to_api(replied).items() if k != "reply_to_message"
                }
        return data

    def find_message(self, chat: Chat, message_id: Any) -> SentMessage | dict[str, Any] | None:
        try:
            key = int(message_id)
        except (TypeError, ValueError):
            return None
        bot_message = chat.bot_messages.get(key)
        if bot_message is not None:
            return None if bot_message.deleted else bot_message
        return chat.user_messages.get(key)

    # files

    def register_file(
        self,
        size: int,
        kind: str,
        data: bytes | None = None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> FileRecord:
        self._file_counter += 1
        n = self._file_counter
        ext = {"photos": "jpg", "voice": "oga", "stickers": "webp"}.get(kind, "bin")
        record = FileRecord(
            file_id=f"EMU{kind[:3].upper()}{n:08d}AgADBAAD",
            file_unique_id=f"AQAD{n:08d}",
            size=size,
            path=f"{kind}/file_{n}.{ext}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[record.file_id] = record
        self._files_by_path[record.path] = record
        return record

    def file_by_path(self, path: str) -> FileRecord | None:
        return self._files_by_path.get(path)

    @staticmethod
    def photo_size(record: FileRecord) -> dict[str, Any]:
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "width": 800,
            "height": 600,
            "file_size": record.size,
        }

    @staticmethod
    def document_dict(record: FileRecord) -> dict[str, Any]:
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_name": record.file_name or record.path.rsplit("/", 1)[-1],
            "mime_type": record.mime_type or "application/octet-stream",
            "file_size": record.size,
        }
