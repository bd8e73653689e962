"""In-process Telegram Bot API emulator for tests and benchmarks.

Start it, point python-telegram-bot at ``emulator.base_url``/``emulator.base_file_url`` and
drive simulated users through the methods of :class:`BotApiEmulator`.
"""

from .config import EmulatorConfig
from .emulator import ApiCall, BotApiEmulator, Sender
from .errors import ApiError
from .state import MessageVersion, SentMessage

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "EmulatorConfig",
    "MessageVersion",
    "Sender",
    "SentMessage",
]
