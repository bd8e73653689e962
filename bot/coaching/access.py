"""Who may talk to the coach: anyone, an allowlist of Telegram ids, or holders of an invite.

Someone who is not let in gets one polite line and leaves no trace: no user row, no
conversation, nothing of what they wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_ALLOWED = (
    "Sorry, this coaching bot is private. If you think you should have access, "
    "please ask the person who runs it."
)
NEEDS_INVITE = (
    "This coaching bot is invitation-only. If you have an invite code, send it here "
    "(or open your invite link)."
)
BAD_INVITE = (
    "That invite code isn't valid: it may have expired or been used already. Please ask for a new one."
)
LOCAL_CHANNELS = ("terminal",)


@dataclass(frozen=True)
class AccessPolicy:
    mode: str = "open"  # open | allowlist | invite
    allowlist: frozenset[str] = frozenset()

    def allows_known(self, channel: str, external_id: str) -> bool:
        """An existing leader: only the allowlist can shut someone out again."""
        if channel in LOCAL_CHANNELS or self.mode != "allowlist":
            return True
        return external_id in self.allowlist

    def allows_new(self, channel: str, external_id: str) -> bool:
        if channel in LOCAL_CHANNELS or self.mode == "open":
            return True
        if self.mode == "allowlist":
            return external_id in self.allowlist
        return False
