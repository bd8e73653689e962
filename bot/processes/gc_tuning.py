"""Garbage-collector settings for the long-running processes (the bot, its service processes)."""

from __future__ import annotations

import gc

# Young-generation collections every 20,000 allocations instead of 700: each answer
# allocates thousands of short-lived objects (PTB's parsed updates, ORM rows, HTTP
# frames), and collections were a measurable share of the bot's CPU under load
# (bench/README.md, "Figures behind the code").
GC_YOUNG_THRESHOLD = 20_000


def spare_long_lived_objects_from_gc() -> None:
    """What start-up built (content, mappers, PTB's handlers) lives as long as the process;
    frozen, the collector stops walking it on every full collection, which was the bot's
    longest pause (and its reply latency p99) under load."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
