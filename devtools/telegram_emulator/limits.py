"""Validation rules of the Bot API, with Telegram's own error texts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request
from .html_markup import parse_html

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
MAX_COMMAND_LENGTH = 32
MAX_COMMAND_DESCRIPTION_LENGTH = 256

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)  # fmt: skip


@dataclass(slots=True)
class FormattedText:
    raw: str
    plain: str
    parse_mode: str | None
    entities: list[dict[str, Any]] | None


def format_text(
    raw: str | None,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    strict_html: bool,
    caption: bool = False,
) -> FormattedText:
    """Apply parse_mode and the length limits of a message text or a media caption."""
    raw = raw or ""
    mode = (parse_mode or "").strip()
    mode_key = mode.lower()
    if mode_key == "html":
        parsed = parse_html(raw, strict=strict_html)
        plain, parsed_entities = parsed.plain, parsed.entities
    elif mode_key in ("", "markdown", "markdownv2"):
        # Markdown modes are passed through unvalidated; the bot under test uses HTML.
        plain, parsed_entities = raw, list(entities or [])
    else:
        raise bad_request("unsupported parse_mode")
    if caption:
        if len(plain) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
    else:
        if not plain.strip():
            raise bad_request("message text is empty")
        if len(plain) > MAX_MESSAGE_LENGTH:
            raise bad_request("message is too long")
    return FormattedText(raw, plain, mode or None, parsed_entities or None)


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Check a reply_markup object; return it unchanged when valid."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    elif not ("remove_keyboard" in markup or "force_reply" in markup):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    total = 0
    for row in rows:
        for button in row:
            total += 1
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [key for key in _BUTTON_ACTIONS if key in button]
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                    raise bad_request("BUTTON_URL_INVALID")
    if total > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")


def validate_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    result: list[dict[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        command = item.get("command")
        description = item.get("description")
        if not isinstance(command, str) or not _COMMAND_RE.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if (
            not isinstance(description, str)
            or not description.strip()
            or len(description) > MAX_COMMAND_DESCRIPTION_LENGTH
        ):
            raise bad_request("command description must be non-empty")
        result.append({"command": command, "description": description})
    return result


def validate_callback_answer_text(text: str | None) -> None:
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")


def validate_chat_action(action: str | None) -> None:
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")


def require(value: Any, detail: str) -> Any:
    if value is None or value == "":
        raise bad_request(detail)
    return value


__all__ = [
    "ApiError",
    "FormattedText",
    "format_text",
    "require",
    "validate_callback_answer_text",
    "validate_chat_action",
    "validate_commands",
    "validate_reply_markup",
]
