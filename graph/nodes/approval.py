"""The merchant's review: the graph stops for approve, edit (the merchant's text re-checked by
the rules and scored again) or reject (the draft written again once).
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.rule_checker import check_template
from graph.context import Context
from graph.nodes.checking import evaluate
from graph.state import State
from tools.domain import Review, TemplateText
from tools.message import merge_fields
from tools.message.rules import hard_violations

REVIEW_ACTIONS = ("approve", "edit", "reject")


def review(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Stop for the merchant: approve, edit (the merchant's text, re-checked by the rules) or
    reject (with a reason: the draft is written again once)."""
    decision = interrupt(
        {
            "template": state["template"].model_dump(),
            "rule_report": state["rule_report"].model_dump(),
            "guidance": [g.model_dump() for g in state.get("guidance", [])],
            "actions": {
                "approve": {},
                "edit": {"body": "str", "subject": "str | None"},
                "reject": {"reason": "str"},
            },
        }
    )
    if not isinstance(decision, dict) or decision.get("action") not in REVIEW_ACTIONS:
        raise ValueError(
            "resume a review with {'action': 'approve'}, {'action': 'edit', 'body': ..., "
            "'subject': ...} or {'action': 'reject', 'reason': ...}; got " + repr(decision)
        )
    action = decision["action"]
    if action == "approve":
        return {"review": Review(status="approved")}
    if action == "reject":
        reason = str(decision.get("reason") or "no reason given")
        if state.get("rejections", 0) >= 1:
            return {"review": Review(status="rejected", reason=reason)}
        return {
            "review": Review(status="regenerating", reason=reason),
            "rejections": state.get("rejections", 0) + 1,
            "attempts": state.get("attempts", 0) + 1,
        }
    ctx = runtime.context
    subject = decision.get("subject")
    edited = TemplateText(
        subject=merge_fields.to_ours(str(subject)).text if subject else None,
        body=merge_fields.to_ours(str(decision.get("body", ""))).text,
    )
    repaired, report = check_template(
        edited, state["request"], state["merchant"], ctx.sms_max_segments
    )
    if not report.passed:
        broken = "; ".join(v.message for v in hard_violations(report.violations))
        return {"review": Review(status="edit_refused", reason=broken)}
    return {
        "template": repaired,
        "rule_report": report,
        "review": Review(status="edited"),
        **evaluate({**state, "template": repaired, "rule_report": report}, runtime),
    }
