"""Who may talk to the coach: anyone, an allowlist of Telegram ids, or holders of an invite.

Someone who is not let in gets one polite line (flows/content/<language>/access.toml) and
leaves no trace: no leader row, no conversation, nothing of what they wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

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
