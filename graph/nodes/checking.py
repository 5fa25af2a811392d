"""Checking and scoring the draft: ``check_rules`` (repairs, retries, the plainest message as
the last resort), ``write_guidance`` (the merchant's steps, citing evidence) and
``evaluate`` (the scores, and the template written back in the merchant's merge fields).
"""

from __future__ import annotations

from typing import Any, cast

from langgraph.runtime import Runtime

from agents import guidance, template
from agents.evaluate import evaluate as score_template
from agents.evaluate import judge
from agents.rule_checker import check_template
from graph.context import Context, model_for
from graph.nodes.shared import spent
from graph.state import State
from tools.crm import experiments_for
from tools.crm.resources import store_for
from tools.crm.response_model import segment_model
from tools.domain import FallbackStep, RuleReport, Scores, TemplateText
from tools.message import merge_fields
from tools.message.features import template_features
from tools.message.rules import hard_violations
from tools.models import Spend, load_model

OWN_PRIOR_SENDS = 50
"""The segment's rate counts as this many sends beside a merchant's own in its base rate."""


def check_rules(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Repair what can be repaired; send a failing draft back, or down to the rules rewrite,
    and never let a template that breaks a hard rule through."""
    ctx = runtime.context
    request, merchant = state["request"], state["merchant"]
    repaired, report = check_template(state["template"], request, merchant, ctx.sms_max_segments)
    update: dict[str, Any] = {"template": repaired, "rule_report": report}
    if report.passed:
        return update
    broken = "; ".join(v.message for v in hard_violations(report.violations))
    if state["mode"] != "rules":
        if state.get("attempts", 0) > ctx.max_retries:
            update |= {
                "mode": "rules",
                "fallback_trail": [
                    FallbackStep(
                        mode=state["mode"], reason=f"drafts kept breaking hard rules ({broken})"
                    )
                ],
            }
        return update
    minimal, minimal_report = check_template(
        template.minimal(request, merchant), request, merchant, ctx.sms_max_segments
    )
    if not minimal_report.passed:
        raise ValueError(
            f"no message for this campaign can pass the rules: {broken}; check the merchant's "
            "forbidden words and the voucher"
        )
    repairs = [*minimal_report.repairs, f"fell back to the plainest message ({broken})"]
    return {
        "template": minimal,
        "rule_report": RuleReport(
            passed=True, violations=minimal_report.violations, repairs=repairs
        ),
    }


def write_guidance(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ordered steps for the merchant, citing evidence."""
    ctx = runtime.context
    if state.get("llm_guidance"):
        return {"guidance": state["llm_guidance"]}
    steps = guidance.write_guidance(
        state["mode"],
        state["analysis"],
        state.get("patterns", []),
        state.get("references", []),
        state["rule_report"],
        state["request"].channel.value,
        template_features(state["template"], state["request"]),
        min_confidence=ctx.pattern_confidence,
        contrary_confidence=ctx.contrary_confidence,
        voice=state["merchant"].brand_voice,
        code=state["request"].voucher.code if state["request"].voucher else None,
        edits=len(state.get("edits", [])),
        worded=[e for e in state.get("edits", []) if e.kind == "wording"],
        tested=_tests_cited(state, ctx),
    )
    return {"guidance": steps}


CITED_TESTS = 2
"""The merchant's newest A/B tests of the segment and channel the guidance cites."""


def _tests_cited(state: State, ctx: Context) -> list[tuple[str, list[str]]]:
    """Steps citing the merchant's newest A/B tests of this segment and channel that have
    results: what a test taught is history like any other, and the merchant sees which."""
    request = state["request"]
    tests = experiments_for(ctx.home)
    steps = []
    for experiment in tests.all([request.merchant_id]):
        if experiment.segment != request.segment or experiment.channel != request.channel.value:
            continue
        step = guidance.experiment_step(experiment, tests.results(experiment))
        if step is not None:
            steps.append(step)
        if len(steps) == CITED_TESTS:
            break
    return steps


def grounded_scores(
    state: State, template: TemplateText, report: RuleReport, ctx: Context
) -> Scores:
    """The scores of a template from the run's evidence and the segment's response model,
    with no model call (the judge, when set, grades on top of them)."""
    request, analysis = state["request"], state["analysis"]
    segment = analysis.canonical or request.segment
    response = segment_model(store_for(ctx.home), segment)
    own_rate = (
        (analysis.own_conversions + response.base * OWN_PRIOR_SENDS)
        / (analysis.own_sends + OWN_PRIOR_SENDS)
        if analysis.own_sends
        else None
    )
    return score_template(
        template,
        request,
        state.get("patterns", []),
        report,
        analysis.canonical,
        response,
        own_rate,
        ctx.pattern_confidence,
        ctx.contrary_confidence,
        analysis.own_sends + OWN_PRIOR_SENDS if analysis.own_sends else None,
    )


def evaluate(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Audience match, marketing effectiveness and predicted conversion of the new template."""
    ctx = runtime.context
    request = state["request"]
    scores = grounded_scores(state, state["template"], state["rule_report"], ctx)
    written = in_merchant_syntax(state)
    model = load_model(model_for(ctx, "judge"), ctx.model_timeout)
    if model is None:
        return {"scores": scores, **written}
    spend = Spend()
    graded = judge(
        model,
        state["template"],
        request,
        state["merchant"].brand_voice,
        state.get("patterns", []),
        spend=spend,
        method=ctx.structured_method,
        tries=ctx.model_tries,
    )
    if graded is not None:
        scores = scores.model_copy(
            update={
                "audience_match": round(graded.audience_match, 3),
                "marketing_effectiveness": round(graded.marketing_effectiveness, 3),
            }
        )
    # A judge that fails leaves the grounded scores; the template itself is not degraded.
    return {"scores": scores, **written, **spent(state, spend, None)}


def _syntax(tokens: dict[str, str]) -> merge_fields.MergeSyntax:
    """The merge syntax a state's tokens record (the family under the key '')."""
    family = cast(merge_fields.Family, tokens.get("", "ours"))
    written = tuple(
        (cast(merge_fields.Field, k), v) for k, v in tokens.items() if k and k[0] != "§"
    )
    return merge_fields.MergeSyntax(family=family, written=written)


def in_merchant_syntax(state: State) -> dict[str, Any]:
    """The template and its edits written back in the merchant's merge fields: the style
    its profile sets, else the one its original was written in."""
    style = state["merchant"].merge_fields
    syntax = merge_fields.syntax_named(style) if style else _syntax(state.get("merge_tokens") or {})

    kept = {k: v for k, v in (state.get("merge_tokens") or {}).items() if k[:1] == "§"}

    def back(text: str) -> str:
        text = merge_fields.to_merchant(text, syntax)
        for marker, token in kept.items():
            text = text.replace(marker, token)
        return text

    template = state["template"]
    return {
        "template": TemplateText(
            subject=back(template.subject) if template.subject else None,
            preheader=back(template.preheader) if template.preheader else None,
            body=back(template.body),
        ),
        "edits": [e.model_copy(update={"after": back(e.after)}) for e in state.get("edits", [])],
        "merge_syntax": syntax.family,
    }
