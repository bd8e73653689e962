"""The bot's Prometheus metrics, on a registry of their own.

A private registry (not prometheus_client.REGISTRY) so that tests can build a
fresh set and so that nothing a library registers globally leaks into /metrics.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

NAMESPACE = "grow_coach"

# What an incoming update was. A fixed set, so a label can never grow with user input.
UPDATE_KINDS = ("text", "command", "choice", "other")

# From an answer read out of memory (a few ms) to a slow database or a busy child (seconds).
REPLY_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Every metric the bot exports; one instance per process."""

    # The media type that matches what exposition() writes.
    content_type: str = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates_handled = Counter(
            "updates_handled",
            "Telegram updates the bot has handled, by kind (text, command, choice, other).",
            ["kind"],
            namespace=NAMESPACE,
            registry=r,
        )
        for kind in UPDATE_KINDS:
            # Present from the first scrape, so rate() has a zero to start from.
            self.updates_handled.labels(kind=kind)
        self.reply_latency = Histogram(
            "reply_latency_seconds",
            "Time from receiving a leader's update to the reply being handed to Telegram.",
            namespace=NAMESPACE,
            buckets=REPLY_LATENCY_BUCKETS,
            registry=r,
        )
        self.checkins_sent = Counter(
            "checkins_sent", "Check-ins delivered to Telegram.", namespace=NAMESPACE, registry=r
        )
        self.checkins_failed = Counter(
            "checkins_failed",
            "Check-ins Telegram refused or that failed after all retries.",
            namespace=NAMESPACE,
            registry=r,
        )
        self.checkins_waiting = Gauge(
            "checkins_waiting",
            "Check-ins that are due and not yet sent, as last seen by the dispatcher.",
            namespace=NAMESPACE,
            registry=r,
        )
        self.service_child_restarts = Counter(
            "service_child_restarts",
            "Service child processes started to replace one that died.",
            namespace=NAMESPACE,
            registry=r,
        )
        self.update_queue_depth = Gauge(
            "update_queue_depth",
            "Updates received and not yet handled.",
            namespace=NAMESPACE,
            registry=r,
        )
        # Standard process_* series (resident memory, CPU, open files) read from /proc;
        # it exports nothing where /proc is missing.
        ProcessCollector(registry=r)

    def count_update(self, kind: str) -> None:
        self.updates_handled.labels(kind=kind if kind in UPDATE_KINDS else "other").inc()

    @contextmanager
    def handling_update(self, kind: str) -> Iterator[None]:
        """Counts an update of `kind` and times it, from its handler starting to the
        replies handed to Telegram (or the handler failing)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.reply_latency.observe(time.perf_counter() - started)
            self.count_update(kind)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format, as served on /metrics."""
        return generate_latest(self.registry)


_default: Metrics | None = None


def default_metrics() -> Metrics:
    """The process-wide instance the bot records into and /metrics serves."""
    global _default
    if _default is None:
        _default = Metrics()
    return _default
