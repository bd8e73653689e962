"""What the front ends say around the coaching conversation, from flows/content/<language>/.

Only `frontend.toml` is read: the Telegram bot process stays free of the coach's script
(that lives in the service process with the engine).
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.content import load_part


@dataclass(frozen=True)
class FrontendTexts:
    menu: tuple[tuple[str, str], ...]  # Telegram's command menu: (command, description)
    try_again: str
    something_wrong: str
    groups_are_private: str
    edited: str
    expired: str
    too_fast: str
    too_fast_tap: str
    terminal_speaker: str
    terminal_store_unavailable: str
    terminal_help_quit: str


def frontend_texts(language: str) -> FrontendTexts:
    content = load_part("frontend", language)

    def text(key: str) -> str:
        return content.text("frontend", key, "text")

    return FrontendTexts(
        menu=tuple(content.labels("frontend", "menu").items()),
        try_again=text("try_again"),
        something_wrong=text("something_wrong"),
        groups_are_private=text("groups_are_private"),
        edited=text("edited"),
        expired=text("expired"),
        too_fast=text("too_fast"),
        too_fast_tap=text("too_fast_tap"),
        terminal_speaker=content.text("frontend", "terminal", "speaker"),
        terminal_store_unavailable=content.text("frontend", "terminal", "store_unavailable"),
        terminal_help_quit=content.text("frontend", "terminal", "help_quit"),
    )
