"""Writing the message: ``adapt_template`` adapts the best exemplars following the patterns,
``rules_rewrite`` writes from the best-practice rules; both give the grounded draft to the
writer model when one is set (its whole rewrite, or its wording of the draft's lines).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from langgraph.runtime import Runtime

from agents import rewrite, template
from graph.context import Context, model_for, writer_mode_of
from graph.nodes.shared import spent
from graph.state import State
from tools.crm.history import merchant_voice
from tools.crm.resources import store_for
from tools.domain import Edit, GuidanceStep, TemplateText
from tools.models import Spend, budget, load_model
from tools.writing.editor import Edited
from tools.writing.writer import Exemplar, WritePlan


def _exemplars(state: State, group: int) -> list[Exemplar]:
    """What the writer adapts, best first: in group learning the merchant's ``group`` best
    templates in the segment (its best in the request's channel first), in retrieval the
    best reference."""
    if state["mode"] == "group" and state["analysis"].own:
        return [
            Exemplar(t.template_id, t.text, t.subject, own=True)
            for t in state["analysis"].best_for(state["request"].channel.value, group)
        ]
    if state.get("references"):
        best = max(state["references"], key=lambda r: r.similarity * (r.cvr or 0))
        return [Exemplar(best.template_id, best.text, own=False)]
    return []


def _write(
    state: State,
    ctx: Context,
    plan: WritePlan,
    draft: TemplateText,
    evidence: list[str],
) -> dict[str, Any]:
    """What the writer model wrote, when one is set and its answer passes the checks: the
    whole message ('rewrite', one retry told each failure) or its wording of the grounded
    draft's lines ('lines': a line that fails is put back as the draft had it); else the
    grounded draft, and the run marked degraded."""
    model = load_model(model_for(ctx, "writer"), ctx.model_timeout)
    if model is None:
        return {"template": draft}
    spend = Spend(budget=budget(ctx.call_budget))
    if writer_mode_of(ctx) == "rewrite":
        rewritten = rewrite.rewrite_with_model(
            model,
            state["request"],
            state["merchant"],
            state.get("patterns", []),
            plan,
            evidence,
            held=state.get("merge_tokens") or {},
            sms_segments=ctx.sms_max_segments,
            spend=spend,
            method=ctx.structured_method,
            tries=min(ctx.model_tries, 2),  # one retry, told each failure
        )
        if rewritten is None:
            return {"template": draft, "llm_guidance": [], **spent(state, spend, "template")}
        return {
            "template": rewritten.template,
            "llm_guidance": _steps(rewritten.guidance),
            "edits": [*_pasted(state), *rewritten.edits],
            **spent(state, spend, None),
        }
    written = template.write_with_model(
        model,
        state["request"],
        state["merchant"],
        state.get("patterns", []),
        plan,
        draft,
        evidence,
        sms_segments=ctx.sms_max_segments,
        spend=spend,
        method=ctx.structured_method,
        tries=ctx.model_tries,
        candidates=ctx.model_candidates,
    )
    if written is None:
        return {"template": draft, "llm_guidance": [], **spent(state, spend, "template")}
    original = state["request"].original_template
    kept = written.lines - len(written.reverted)
    reason = (
        f"the writer model's wording of the grounded edits ({kept} of {written.lines} lines "
        "its own"
        + (
            f"; put back as the draft had them: {'; '.join(written.reverted)}"
            if written.reverted
            else ""
        )
        + "), held to every hard rule"
    )
    reworded = (
        {
            "edits": [
                *_pasted(state),
                Edit(
                    kind="model_rewrite",
                    before=original,
                    after=written.template.body,
                    reason=reason,
                ),
            ]
        }
        if original and written.template != draft
        else {}
    )
    return {
        "template": written.template,
        "llm_guidance": _steps(written.guidance),
        **reworded,
        **spent(state, spend, None),
    }


def _steps(guidance: Sequence[template.DraftStep]) -> list[GuidanceStep]:
    """A writer model's guidance steps, numbered."""
    return [
        GuidanceStep(step=i + 1, text=s.text, evidence=s.evidence) for i, s in enumerate(guidance)
    ]


def _pasted(state: State) -> list[Edit]:
    """The reading of a pasted e-mail, which every draft of the request starts from."""
    return [e for e in state.get("edits", []) if e.kind == "pasted"]


def _edited(state: State, edited: Edited | None) -> dict[str, Any]:
    """The state's record of an edit of the merchant's text: the edits (after the reading
    of a pasted e-mail), and the merge-field tokens the result is written back in."""
    if edited is None:
        return {"edits": _pasted(state), "merge_tokens": {}}
    syntax = edited.syntax
    return {
        "edits": [*_pasted(state), *edited.edits],
        "merge_tokens": {"": syntax.family, **dict(syntax.written), **dict(edited.kept)},
    }


def main_plan(state: State, ctx: Context, attempt: int) -> WritePlan:
    """The plan the patterns give this request's ``attempt``-th draft (each retry drops the
    weakest optional feature)."""
    return template.plan_from(
        state["patterns"],
        state["analysis"].canonical,
        state["request"].channel.value,
        min_confidence=ctx.act_confidence,
        contrary_confidence=ctx.contrary_confidence,
        sms_segments=ctx.sms_max_segments,
        attempt=attempt,
    )


def grounded_draft(
    state: State, ctx: Context, plan: WritePlan, attempt: int
) -> tuple[TemplateText, dict[str, Any]]:
    """The grounded draft of a plan, with no model: the merchant's original edited to it
    (group learning may borrow its best texts' lines), else the best exemplars adapted; and
    the state's record of the edit (``_edited``)."""
    request, analysis = state["request"], state["analysis"]
    exemplars = _exemplars(state, ctx.group_exemplars)
    if request.original_template:
        own = exemplars if state["mode"] == "group" else []
        edited = template.edit(
            request,
            state["merchant"],
            analysis.canonical,
            plan,
            state["patterns"],
            own,
            state.get("wordings", []),
        )
        return edited.template, _edited(state, edited)
    return (
        template.write_best(
            request,
            state["merchant"],
            analysis.canonical,
            plan,
            exemplars,
            state["patterns"],
            drafts=ctx.drafts,
            variant=attempt,
            voice=merchant_voice(
                store_for(ctx.home), request.merchant_id, analysis.canonical or request.segment
            ),
        ),
        _edited(state, None),
    )


def adapt_template(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Adapt the best exemplars to this campaign, following the patterns (a writer model, when
    set, improves on the grounded draft of the best one)."""
    ctx = runtime.context
    analysis = state["analysis"]
    attempt = state.get("attempts", 0)
    plan = main_plan(state, ctx, attempt)
    draft, kept = grounded_draft(state, ctx, plan, attempt)
    evidence = [
        *analysis.top_ids,
        *(r.template_id for r in state.get("references", [])),
        *(e for p in state["patterns"] for e in p.evidence),
    ]
    return {
        **kept,
        **_write(cast(State, {**state, **kept}), ctx, plan, draft, [*dict.fromkeys(evidence)]),
        "attempts": attempt + 1,
    }


def rules_rewrite(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The zero-shot fallback from best-practice rules for the segment and channel."""
    ctx = runtime.context
    request, canonical = state["request"], state["analysis"].canonical
    plan = template.rules_plan(canonical, request.channel.value, ctx.sms_max_segments)
    exemplar = template.original_exemplar(request)
    if request.original_template:
        edited = template.edit(request, state["merchant"], canonical, plan, [])
        draft, kept = edited.template, _edited(state, edited)
    else:
        draft = template.write(
            request,
            state["merchant"],
            canonical,
            plan,
            exemplar,
            variant=state.get("rejections", 0),
            voice=merchant_voice(
                store_for(ctx.home), request.merchant_id, canonical or request.segment
            ),
        )
        kept = _edited(state, None)
    ruled = cast(State, {**state, **kept, "patterns": []})
    return {
        **kept,
        **_write(ruled, ctx, plan, draft, []),
        "mode": "rules",
        "patterns": [],
        "references": [],
        "attempts": state.get("attempts", 0) + 1,
    }
