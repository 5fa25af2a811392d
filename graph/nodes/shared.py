"""What the nodes share: a node's model calls added to the run's usage, and the run marked
degraded when a model's answer had to be replaced by the grounded one.
"""

from __future__ import annotations

from typing import Any

from graph.state import State
from tools.domain import Usage
from tools.models import Spend


def spent(state: State, spend: Spend, failed: str | None) -> dict[str, Any]:
    """The state's usage with this node's calls added, and the degradation if a model's
    answer had to be replaced by the grounded one."""
    usage = state.get("usage") or Usage()
    tokens_in = (usage.input_tokens or 0) + (spend.input_tokens or 0)
    tokens_out = (usage.output_tokens or 0) + (spend.output_tokens or 0)
    known = usage.input_tokens is not None or spend.input_tokens is not None
    update: dict[str, Any] = {
        "usage": Usage(
            calls=usage.calls + spend.calls,
            judge_calls=usage.judge_calls + spend.judge_calls,
            input_tokens=tokens_in if known else None,
            output_tokens=tokens_out if known else None,
        )
    }
    if failed is not None:
        reason = f"{failed}: the model's answer was replaced by the grounded one ("
        reason += "; ".join(spend.problems) + ")"
        locale = state["request"].locale
        if failed == "template" and locale.split("-")[0].lower() != "en":
            reason += f", which is written in English, not {locale!r}: review it before sending"
        previous = state.get("degraded_reason")
        update |= {
            "degraded": True,
            "degraded_reason": f"{previous}; {reason}" if previous else reason,
        }
    return update
