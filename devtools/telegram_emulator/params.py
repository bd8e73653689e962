"""Reading Bot API parameters from query string, JSON, form or multipart bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import bad_request

INT_FIELDS = frozenset(
    {
        "message_id", "offset", "limit", "timeout", "reply_to_message_id", "cache_time",
        "max_connections", "user_id", "from_chat_id", "message_thread_id", "file_size",
    }
)  # fmt: skip
BOOL_FIELDS = frozenset(
    {
        "show_alert", "drop_pending_updates", "disable_notification", "protect_content",
        "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
        "disable_content_type_detection", "allow_paid_broadcast", "show_caption_above_media",
    }
)  # fmt: skip
JSON_FIELDS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "allowed_updates", "commands",
        "scope", "link_preview_options", "reply_parameters", "media",
    }
)  # fmt: skip
_JSON_ERROR_NAMES = {"reply_markup": "reply keyboard markup"}


@dataclass(slots=True)
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"<UploadedFile {self.filename!r} {len(self.data)} bytes>"


def _to_int(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return value


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    return value


def normalize(raw: dict[str, Any]) -> dict[str, Any]:
    """Give form/query values the JSON types a JSON body would have carried."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, UploadedFile):
            params[name] = value
        elif name == "chat_id" or name in INT_FIELDS:
            params[name] = _to_int(value)
        elif name in BOOL_FIELDS:
            params[name] = _to_bool(value)
        elif name in JSON_FIELDS and isinstance(value, str):
            if not value.strip():
                continue
            try:
                params[name] = json.loads(value)
            except ValueError:
                what = _JSON_ERROR_NAMES.get(name, name)
                raise bad_request(f"can't parse {what} JSON object") from None
        else:
            params[name] = value
    return params


async def read_params(request: web.Request) -> dict[str, Any]:
    raw: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if request.method == "POST" and request.can_read_body:
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            raw.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    raw[name] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[name] = value
    return normalize(raw)
