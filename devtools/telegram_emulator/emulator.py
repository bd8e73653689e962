"""BotApiEmulator: the test-facing facade over the emulated Bot API server."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import Any, NamedTuple, TypedDict, TypeVar, Unpack

from .config import EmulatorConfig
from .errors import ApiError
from .faults import Delay, FaultInjector, error_for_status
from .html_markup import utf16_length
from .methods import DEFAULT_COMMANDS_KEY, CallbackQueryRecord, MethodHandlers, commands_key
from .ratelimit import RateLimiter
from .server import ApiServer
from .state import Chat, EmulatorState, SentMessage, now
from .updates import UpdateQueue
from .webhook import WebhookConfig, WebhookPusher

T = TypeVar("T")


class ApiCall(NamedTuple):
    method: str
    params: dict[str, Any]
    status: int


class Sender(TypedDict, total=False):
    """Who sends a simulated update and where; private chat with the user by default."""

    first_name: str
    last_name: str
    username: str
    language_code: str
    chat_id: int
    chat_type: str
    chat_title: str


class BotApiEmulator:
    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "grow_coach_bot",
        *,
        bot_first_name: str = "GROW Coach",
        config: EmulatorConfig | None = None,
        first_update_id: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.state = EmulatorState(bot_id, bot_first_name, bot_username)
        self.queue = UpdateQueue(first_update_id)
        self.limiter = RateLimiter()
        self.faults = FaultInjector()
        self.pusher = WebhookPusher(self.queue)
        self.config = EmulatorConfig()
        self.handlers = MethodHandlers(self.state, self.queue, self.pusher, self.limiter, self.config)
        self.server = ApiServer({token}, self.handlers.table(), self.faults, self.state, self._record)
        self.calls: list[ApiCall] = []
        self.rate_limited_count = 0
        self._call_counts: Counter[str] = Counter()
        self._changed = asyncio.Event()
        self._chat_waiters: dict[int, list[asyncio.Future[None]]] = {}
        self._query_ids = itertools.count(1)
        self.last_callback_query_id: str | None = None
        self.configure(**dataclasses.asdict(config or EmulatorConfig()))

    # lifecycle

    async def start(self) -> BotApiEmulator:
        await self.pusher.start()
        self.port = await self.server.start(self.host, self.port)
        return self

    async def stop(self) -> None:
        self.queue.close()
        await self.pusher.stop()
        await self.server.stop()

    async def __aenter__(self) -> BotApiEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def bot_id(self) -> int:
        return int(self.state.bot_user["id"])

    # configuration and faults

    def configure(self, **changes: Any) -> EmulatorConfig:
        """Change EmulatorConfig fields by name; unknown names raise TypeError."""
        for key in ("rate_limited_methods", "fault_methods"):
            if changes.get(key) is not None:
                changes[key] = frozenset(m.lower() for m in changes[key])
        if "fault_statuses" in changes:
            changes["fault_statuses"] = tuple(changes["fault_statuses"])
        config = dataclasses.replace(self.config, **changes)
        self.config = config
        self.handlers.config = config
        self.limiter.configure(
            config.global_rate, config.per_chat_rate, config.per_chat_burst, config.group_rate
        )
        self.faults.configure(
            fault_rate=config.fault_rate,
            fault_statuses=config.fault_statuses,
            fault_methods=config.fault_methods,
            slow_rate=config.slow_rate,
            slow_seconds=config.slow_seconds,
            deliver_delayed=config.deliver_delayed,
        )
        if "seed" in changes:
            self.faults.rng.seed(config.seed)
        self.server.latency = config.latency
        self.pusher.latency = config.latency
        self.pusher.concurrent = config.webhook_concurrent
        return config

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error, without processing."""
        self.faults.fail_next(method, error_for_status(status, retry_after, description), times)

    def delay_next(self, method: str, seconds: float, *, deliver: bool = True, times: int = 1) -> None:
        """Delay the answer to the next ``times`` calls; ``deliver`` as in deliver_delayed."""
        self.faults.delay_next(method, Delay(seconds, deliver), times)

    # recording

    def _notify(self) -> None:
        event = self._changed
        self._changed = asyncio.Event()
        event.set()

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        if self.config.record_calls:
            self.calls.append(ApiCall(method, params, status))
        self._call_counts[method.lower()] += 1
        if status == 429:
            self.rate_limited_count += 1
        if self._chat_waiters and "chat_id" in params:
            self._wake_chat(params["chat_id"])
        self._notify()

    def _wake_chat(self, chat_id: Any) -> None:
        try:
            key = self.state.resolve_chat(chat_id).id
        except ApiError:
            return
        for waiter in self._chat_waiters.pop(key, []):
            if not waiter.done():
                waiter.set_result(None)

    def call_count(self, method: str) -> int:
        return self._call_counts[method.lower()]

    def calls_of(self, method: str) -> list[ApiCall]:
        key = method.lower()
        return [call for call in self.calls if call.method.lower() == key]

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        return self.handlers.callback_answers

    @property
    def commands(self) -> list[dict[str, str]]:
        return list(self.handlers.commands.get(DEFAULT_COMMANDS_KEY, []))

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        return list(self.handlers.commands.get(commands_key(scope, language_code), []))

    @property
    def pending_update_count(self) -> int:
        return len(self.queue)

    @property
    def webhook(self) -> WebhookConfig | None:
        return self.pusher.config

    # simulated users

    def _origin(self, user_id: int, sender: Sender) -> tuple[dict[str, Any], Chat]:
        user = self.state.upsert_user(
            user_id,
            sender.get("first_name"),
            sender.get("last_name"),
            sender.get("username"),
            sender.get("language_code"),
        )
        chat_id = sender.get("chat_id", user_id)
        if chat_id == user_id:
            return user, self.state.private_chat(user)
        chat_type = sender.get("chat_type", "group")
        if chat_type == "private":
            chat_type = "group"
        return user, self.state.group_chat(chat_id, chat_type, sender.get("chat_title"))

    def _user_message(self, user_id: int, sender: Sender, content: dict[str, Any]) -> int:
        user, chat = self._origin(user_id, sender)
        message = {
            "message_id": chat.next_message_id(),
            "from": user,
            "chat": chat.to_api(),
            "date": now(),
            **content,
        }
        chat.user_messages[message["message_id"]] = message
        update_id = self.queue.put({"message": message})
        self._notify()
        return update_id

    def add_user(self, user_id: int, **sender: Unpack[Sender]) -> None:
        """Make a private chat known without sending an update (e.g. for proactive sends)."""
        self._origin(user_id, sender)

    def add_chat(self, chat_id: int, chat_type: str = "group", title: str | None = None) -> None:
        self.state.group_chat(chat_id, chat_type, title)

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to_message_id: int | None = None,
        **sender: Unpack[Sender],
    ) -> int:
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if reply_to_message_id is not None:
            _, chat = self._origin(user_id, sender)
            replied = self.state.find_message(chat, reply_to_message_id)
            if isinstance(replied, SentMessage):
                content["reply_to_message"] = self.state.message_to_api(replied)
            elif replied is not None:
                content["reply_to_message"] = replied
        return self._user_message(user_id, sender, content)

    def send_command(self, user_id: int, command: str, **sender: Unpack[Sender]) -> int:
        text = command if command.startswith("/") else f"/{command}"
        length = utf16_length(text.split(maxsplit=1)[0])
        entity = {"type": "bot_command", "offset": 0, "length": length}
        return self.send_text(user_id, text, entities=[entity], **sender)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        strict: bool = True,
        **sender: Unpack[Sender],
    ) -> int:
        """Simulate a tap on an inline button of a bot message; returns the update_id.

        With ``strict`` the message must exist, not be deleted and carry that callback_data,
        because a real user can only press buttons that are on screen.
        """
        user, chat = self._origin(user_id, sender)
        message = chat.bot_messages.get(message_id)
        if strict:
            if message is None or message.deleted:
                raise LookupError(f"no bot message {message_id} in chat {chat.id}")
            if callback_data not in message.callback_data():
                raise LookupError(
                    f"message {message_id} has no button with callback_data {callback_data!r}"
                    f" (buttons: {message.callback_data()})"
                )
        query_id = str(5_000_000_000_000_000_000 + next(self._query_ids))
        query: dict[str, Any] = {
            "id": query_id,
            "from": user,
            "chat_instance": str(abs(chat.id) * 7919 % 10**18),
            "data": callback_data,
        }
        if message is not None and not message.deleted:
            query["message"] = self.state.message_to_api(message)
        update_id = self.queue.put({"callback_query": query})
        self.handlers.callback_queries[query_id] = CallbackQueryRecord(
            query_id=query_id,
            update_id=update_id,
            user_id=user_id,
            chat_id=chat.id,
            message_id=message_id,
            data=callback_data,
            created=time.monotonic(),
        )
        self.last_callback_query_id = query_id
        self._notify()
        return update_id

    def _file(self, kind: str, size: int, data: bytes | None) -> dict[str, Any]:
        record = self.state.register_file(len(data) if data is not None else size, kind, data)
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.size,
        }

    def send_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        data: bytes | None = None,
        **sender: Unpack[Sender],
    ) -> int:
        photo = {**self._file("photos", 20_000, data), "width": 800, "height": 600}
        content: dict[str, Any] = {"photo": [photo]}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, sender, content)

    def send_document(
        self,
        user_id: int,
        *,
        file_name: str = "notes.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        data: bytes | None = None,
        **sender: Unpack[Sender],
    ) -> int:
        document = {
            **self._file("documents", 50_000, data),
            "file_name": file_name,
            "mime_type": mime_type,
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, sender, content)

    def send_voice(self, user_id: int, *, duration: int = 3, **sender: Unpack[Sender]) -> int:
        voice = {**self._file("voice", 8_000, None), "duration": duration, "mime_type": "audio/ogg"}
        return self._user_message(user_id, sender, {"voice": voice})

    def send_sticker(self, user_id: int, *, emoji: str = "👍", **sender: Unpack[Sender]) -> int:
        sticker = {
            **self._file("stickers", 15_000, None),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._user_message(user_id, sender, {"sticker": sticker})

    def send_location(
        self,
        user_id: int,
        latitude: float = 52.52,
        longitude: float = 13.405,
        **sender: Unpack[Sender],
    ) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user_id, sender, {"location": location})

    def edit_user_message(
        self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None
    ) -> int:
        chat = self.state.chats.get(chat_id if chat_id is not None else user_id)
        original = chat.user_messages.get(message_id) if chat else None
        if original is None:
            raise LookupError(f"no user message {message_id} in chat {chat_id or user_id}")
        # A new dict, because the original may still sit unread in the update queue.
        edited = {k: v for k, v in original.items() if k != "entities"}
        edited["text"] = text
        edited["edit_date"] = now()
        chat.user_messages[message_id] = edited
        update_id = self.queue.put({"edited_message": edited})
        self._notify()
        return update_id

    def inject_update(self, update: dict[str, Any]) -> int:
        """Queue a raw (possibly malformed) update; update_id is added when missing."""
        update_id = self.queue.put(dict(update))
        self._notify()
        return update_id

    def redeliver(self, update_id: int) -> int:
        """Deliver an already queued update again, with the same update_id."""
        self.queue.redeliver(update_id)
        self._notify()
        return update_id

    def block(self, user_id: int) -> None:
        self._origin(user_id, {})[1].blocked = True

    def unblock(self, user_id: int) -> None:
        self._origin(user_id, {})[1].blocked = False

    # inspecting what the bot did

    def bot_messages(self, chat_id: int) -> list[SentMessage]:
        chat = self.state.chats.get(chat_id)
        return list(chat.bot_messages.values()) if chat else []

    def bot_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        chat = self.state.chats.get(chat_id)
        return chat.bot_messages.get(message_id) if chat else None

    def last_bot_message(self, chat_id: int) -> SentMessage | None:
        chat = self.state.chats.get(chat_id)
        if not chat or not chat.bot_messages:
            return None
        return next(reversed(chat.bot_messages.values()))

    def user_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        chat = self.state.chats.get(chat_id)
        return chat.user_messages.get(message_id) if chat else None

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Wait until ``predicate()`` is truthy and return its value; TimeoutError otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            event = self._changed
            # Also re-check periodically: predicates may look at state outside the emulator.
            try:
                await asyncio.wait_for(event.wait(), min(remaining, 0.1))
            except TimeoutError:
                pass

    async def wait_for_bot_messages(
        self, chat_id: int, count: int, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait until the bot has sent ``count`` messages (deleted ones included) to the chat."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            chat = self.state.chats.get(chat_id)
            if chat is not None and len(chat.bot_messages) >= count:
                return list(chat.bot_messages.values())
            remaining = deadline - loop.time()
            if remaining <= 0:
                texts = [m.text for m in self.bot_messages(chat_id)]
                raise TimeoutError(
                    f"chat {chat_id}: expected {count} bot messages within {timeout} s, got "
                    f"{len(texts)}: {texts!r}"
                )
            # Per-chat wake-ups keep thousands of concurrent waiters from re-checking every call.
            waiter: asyncio.Future[None] = loop.create_future()
            waiters = self._chat_waiters.setdefault(chat_id, [])
            waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                if waiter in waiters:
                    waiters.remove(waiter)

    async def wait_for_updates_consumed(self, timeout: float = 10.0) -> None:
        """Wait until the bot confirmed (polling) or acknowledged (webhook) every update."""
        await self.wait_for(lambda: len(self.queue) == 0, timeout)

    async def push_webhook_with_secret(
        self, update: dict[str, Any], secret: str | None, url: str | None = None
    ) -> int:
        """POST ``update`` to the webhook with the given secret header; return HTTP status."""
        target = url or (self.pusher.config.url if self.pusher.config else None)
        if target is None:
            raise RuntimeError("no webhook is set")
        payload = dict(update)
        if "update_id" not in payload:
            payload["update_id"] = self.queue.allocate_id()
        return await self.pusher.post(target, payload, secret)


__all__ = ["ApiCall", "ApiError", "BotApiEmulator", "Sender"]
