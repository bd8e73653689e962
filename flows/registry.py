"""Every flow by name, and reading a saved conversation's data with its flow's type."""

from __future__ import annotations

from typing import Any

from flows import checkin, engagement, erase, goals, grow, onboarding, profile, rescore, review
from flows.conversation import Conversation
from flows.state import FlowData, FlowName, IdleData
from flows.steps import FlowSpec

FLOWS: dict[str, FlowSpec] = {
    flow.name: flow
    for flow in (
        onboarding.FLOW,
        grow.FLOW,
        checkin.FLOW,
        rescore.FLOW,
        profile.FLOW,
        erase.FLOW,
        goals.FLOW,
        engagement.FLOW,
        review.FLOW,
    )
}


def load_data(flow: str, saved: dict[str, Any]) -> FlowData:
    spec = FLOWS.get(flow)
    return spec.data.from_dict(saved) if spec is not None else IdleData.from_dict(saved)


def is_known_position(conv: Conversation) -> bool:
    """False for a position saved by another version of the flows (a flow or step since renamed)."""
    if conv.flow == FlowName.IDLE:
        return True
    return conv.flow in FLOWS and conv.state in FLOWS[conv.flow].machine.states
