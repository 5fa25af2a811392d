"""Variants for an A/B test (``write_variants``, after ``evaluate`` when a request asks for
more than one template): the merchant's text written again with one feature the evidence is
least sure of flipped, each held to the rule check and scored as the main template is.

Always grounded: with a writer model set, the main template is the model's and the
variants are the grounded editor's (no model call), each flipping its feature in the plan
the main template was written to.
"""

from __future__ import annotations

from typing import Any, cast

from langgraph.runtime import Runtime

from agents.rule_checker import check_template
from agents.template import variants as testing
from graph.context import Context
from graph.nodes.checking import grounded_scores, in_merchant_syntax
from graph.nodes.writing import grounded_draft, main_plan
from graph.state import State
from tools.domain import CampaignRequest, TemplateText, Variant
from tools.message import merge_fields
from tools.message.features import template_features


def _features(text: TemplateText, request: CampaignRequest) -> dict[str, bool]:
    """The copy features of a text written in the merchant's merge fields."""
    ours = TemplateText(
        subject=merge_fields.to_ours(text.subject).text if text.subject else None,
        body=merge_fields.to_ours(text.body).text,
    )
    return template_features(ours, request)


def write_variants(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The k-1 variants the request asks for, one per feature the evidence is least sure of,
    least sure first. A flip that reads as the main template or an earlier variant, breaks a
    hard rule, or does not change its feature (the editor adds a name, a code, a deadline or
    an emoji; it takes out only what evidence or a rule asks) is left out for the next
    feature; when the features run out first, ``variants_note`` says why each was left
    out."""
    ctx = runtime.context
    request = state["request"]
    asked = request.variants - 1
    patterns = state.get("patterns", [])
    main = state["template"]
    if state["mode"] == "rules" or not patterns:
        return {
            "variants": [],
            "variants_note": f"no variants of {asked} asked: the message was written from best "
            "practice, with no evidence whose doubt a test could settle",
        }
    channel = request.channel.value
    carried = _features(main, request)
    flips = testing.uncertain(patterns, channel, carried)
    attempt = max(0, state.get("attempts", 1) - 1)
    plan = main_plan(state, ctx, attempt)
    segment = state["analysis"].canonical or request.segment
    written: list[Variant] = []
    left_out: list[str] = []
    for flip in flips:
        if len(written) == asked:
            break
        draft, kept = grounded_draft(state, ctx, testing.flipped(plan, flip), attempt)
        repaired, report = check_template(draft, request, state["merchant"], ctx.sms_max_segments)
        with_it = testing.FLIPPABLE[flip.feature][0]
        if not report.passed:
            left_out.append(f"{with_it}: the variant broke a hard rule")
            continue
        back = in_merchant_syntax(cast(State, {**state, **kept, "template": repaired}))
        text: TemplateText = back["template"]
        if text == main:
            left_out.append(f"{with_it}: the text came out as the main template's")
            continue
        if any(text == v.template for v in written):
            left_out.append(f"{with_it}: the text came out as an earlier variant's")
            continue
        if _features(text, request).get(flip.feature, False) != flip.uses:
            verb = "add" if flip.uses else "take out"
            left_out.append(f"{with_it}: the editor could not {verb} it in this text")
            continue
        written.append(
            Variant(
                feature=flip.feature,
                uses=flip.uses,
                hypothesis=testing.hypothesis(flip, segment, channel),
                pattern=flip.pattern.name,
                confidence=flip.pattern.confidence,
                template=text,
                edits=back["edits"],
                rule_report=report,
                scores=grounded_scores(state, repaired, report, ctx),
            )
        )
    note = None
    if len(written) < asked:
        tried = f"the evidence is unsure of {len(flips)} feature(s) a variant can flip"
        note = f"{len(written)} variant(s) of {asked} asked: " + "; ".join([tried, *left_out])
    return {"variants": written, "variants_note": note}
