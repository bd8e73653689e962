"""Tunable behaviour of the emulator (all realism knobs off by default)."""

from __future__ import annotations

from dataclasses import dataclass

SEND_METHODS = frozenset(
    {
        "sendmessage", "sendphoto", "senddocument", "sendvoice", "sendsticker",
        "sendaudio", "sendvideo", "sendanimation", "sendlocation", "sendmediagroup",
        "copymessage", "forwardmessage",
    }
)  # fmt: skip


@dataclass(slots=True, frozen=True)
class EmulatorConfig:
    # Flood control; None disables a limit. Only methods in rate_limited_methods count.
    global_rate: float | None = None
    per_chat_rate: float | None = None
    per_chat_burst: float = 3.0
    group_rate: float | None = None
    rate_limited_methods: frozenset[str] = SEND_METHODS
    # Random faults, drawn from a generator seeded with ``seed``.
    fault_rate: float = 0.0
    fault_statuses: tuple[int, ...] = (500, 502)
    fault_methods: frozenset[str] | None = None
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    deliver_delayed: bool = True
    seed: int | None = None
    # Reject bare "&", ">" and unknown entities in HTML (tdlib would keep them as text).
    strict_html: bool = True
    # Seconds after which an unanswered callback query is "too old"; None = never.
    callback_query_ttl: float | None = None
    # Keep (method, params, status) for every call; switch off for very long benchmarks.
    record_calls: bool = True
    # Network distance to the bot, as a round-trip time in seconds: every Bot API call
    # waits half of it before it is processed (the request travelling) and half before its
    # answer leaves (the response travelling); a webhook delivery pays the same.
    latency: float = 0.0
    # Webhook delivery like Telegram's under load: up to max_connections updates in flight
    # at once, each chat's one at a time and in order. Off: strictly one at a time.
    webhook_concurrent: bool = False
