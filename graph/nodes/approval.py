"""The merchant's review: the graph stops for approve, edit (the merchant's text re-checked by
the rules and scored again), reject (the draft written again once) or discard (the run ends,
rejected); and ``recheck``, the same check and grounded score of an edit while it is typed.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.rule_checker import check_template
from graph.context import Context
from graph.nodes.checking import evaluate, grounded_scores
from graph.state import State
from tools.domain import Review, RuleReport, Scores, TemplateText
from tools.message import merge_fields
from tools.message.channels import sms_count
from tools.message.rules import hard_violations

REVIEW_ACTIONS = ("approve", "edit", "reject", "discard")


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
                "discard": {"reason": "str"},
            },
        }
    )
    if not isinstance(decision, dict) or decision.get("action") not in REVIEW_ACTIONS:
        raise ValueError(
            "resume a review with {'action': 'approve'}, {'action': 'edit', 'body': ..., "
            "'subject': ...}, {'action': 'reject', 'reason': ...} or {'action': 'discard', "
            "'reason': ...}; got " + repr(decision)
        )
    action = decision["action"]
    if action == "approve":
        return {"review": Review(status="approved")}
    if action in {"reject", "discard"}:
        reason = str(decision.get("reason") or "no reason given")
        if action == "discard" or state.get("rejections", 0) >= 1:
            return {"review": Review(status="rejected", reason=reason)}
        return {
            "review": Review(status="regenerating", reason=reason),
            "rejections": state.get("rejections", 0) + 1,
            "attempts": state.get("attempts", 0) + 1,
        }
    repaired, report = edited_text(
        state, decision.get("subject"), str(decision.get("body", "")), runtime.context
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


def edited_text(
    state: State, subject: object, body: str, ctx: Context
) -> tuple[TemplateText, RuleReport]:
    """A person's text (in their merge fields) as the rules repair it, and the report."""
    edited = TemplateText(
        subject=merge_fields.to_ours(str(subject)).text if subject else None,
        body=merge_fields.to_ours(body).text,
    )
    return check_template(edited, state["request"], state["merchant"], ctx.sms_max_segments)


def recheck(
    state: State, subject: str | None, body: str, ctx: Context
) -> tuple[RuleReport, Scores, int]:
    """What an edit would get, with no model call: the rule report, the grounded scores of
    the repaired text, and the SMS segments it takes."""
    repaired, report = edited_text(state, subject, body, ctx)
    return report, grounded_scores(state, repaired, report, ctx), sms_count(repaired.body).segments
