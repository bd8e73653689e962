"""The contract between the bot and its coach: one protocol, and the calls a service process
answers read from it."""

from __future__ import annotations

import inspect

from bot.coaching.contract import REMOTE_CALLS, Coach
from bot.coaching.local_coach import LocalCoach
from bot.coaching.service import CoachService
from bot.processes.service_process import ServiceProcess


def test_every_remote_call_is_the_service_s_own_method_with_the_contract_s_parameters() -> None:
    """What a service process answers is the `Coach` protocol, read from it, not a list."""
    assert REMOTE_CALLS >= {"handle", "set_active", "claim_checkins", "deliver_checkin"}
    assert "close" not in REMOTE_CALLS
    for name in REMOTE_CALLS:
        promised = list(inspect.signature(getattr(Coach, name)).parameters)
        for implementation in (CoachService, ServiceProcess, LocalCoach):
            assert list(inspect.signature(getattr(implementation, name)).parameters) == promised, (
                implementation.__name__,
                name,
            )
