"""The graph's nodes: each a small function of (state, runtime) that reads what it needs,
calls its agent and returns only the keys it changes. The seam where a model will plug in
is the agent call; the grounded answer is what these return today."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import ValidationError

from agents import content, guidance, retrieval, rewrite, segment_analyst, template
from agents.evaluate import evaluate as score_template
from agents.evaluate import judge
from agents.rule_checker import check_template
from graph.context import Context, model_for, writer_mode_of
from graph.state import InputState, State
from tools.crm.history import (
    merchant_leans,
    merchant_voice,
    own_dispersion,
    own_history,
    per_data_version,
    segment_columns,
    segment_dispersion,
    segment_history,
    segment_lifts,
)
from tools.crm.resources import index_for, store_for
from tools.crm.response_model import segment_model
from tools.domain import (
    CampaignRequest,
    Edit,
    FallbackStep,
    GuidanceStep,
    Merchant,
    Review,
    RuleReport,
    TemplateText,
    Usage,
    VoucherType,
    validation_problems,
)
from tools.message import merge_fields
from tools.message.features import template_features
from tools.message.purpose import purpose_of
from tools.message.rules import hard_violations
from tools.message.text import unpaste
from tools.models import Spend, budget, load_model
from tools.writing import wording
from tools.writing.editor import Edited
from tools.writing.writer import Exemplar, WritePlan

REQUEST_KEYS = tuple(InputState.__annotations__)
_PATTERN_LOCKS: defaultdict[tuple[str, ...], threading.Lock] = defaultdict(threading.Lock)


class InvalidRequest(ValueError):
    """The request does not validate; the message names each field and what is wrong."""


def parse_request(state: State) -> CampaignRequest:
    """The request in the state, validated."""
    try:
        return CampaignRequest.model_validate({k: state[k] for k in REQUEST_KEYS if k in state})  # type: ignore[literal-required]
    except ValidationError as exc:
        problems = validation_problems(exc, "request")
        raise InvalidRequest(f"invalid CampaignRequest: {problems}") from exc


def offer_problem(request: CampaignRequest, merchant: Merchant) -> str | None:
    """What makes an offer unsendable for this merchant on the send date, if anything."""
    voucher = request.voucher
    if voucher is None:
        return None
    cap = merchant.max_discount
    if cap is not None and voucher.type is VoucherType.PERCENT_OFF and voucher.value > cap:
        return (
            f"voucher.value: {voucher.value:g}% is above merchant {merchant.merchant_id}'s "
            f"max discount of {cap:g}%; lower it or raise the merchant's cap"
        )
    sending = request.send_date or date.today()
    if voucher.expires is not None and voucher.expires < sending:
        return (
            f"voucher.expires: {voucher.expires.isoformat()} is before the send date "
            f"{sending.isoformat()}; give a later date, or none"
        )
    return None


def locale_problem(request: CampaignRequest, ctx: Context) -> str | None:
    """A language the grounded writer does not write, asked of it: never silent English."""
    if model_for(ctx, "writer") == "offline" and request.locale.split("-")[0].lower() != "en":
        return (
            f"locale: {request.locale!r} is not written offline: the grounded writer writes "
            "English (en) only; set a model (CRMAGENT_MODEL, e.g. openai:gpt-4o-mini) to write "
            f"{request.locale!r}, or ask for locale 'en'"
        )
    return None


def unpasted(request: CampaignRequest) -> tuple[CampaignRequest, Edit | None]:
    """An e-mail pasted whole into the text ("Subject: ... | Preview: ... | Body: ...") read
    into its subject, preheader and body, and the edit that says so; the labels never reach
    the body. A subject or preheader the request gives wins over a pasted one."""
    original = request.original_template or ""
    pasted = unpaste(original)
    if pasted is None:
        return request, None
    split = request.model_copy(
        update={
            "original_template": pasted.body or None,
            "original_subject": request.original_subject or pasted.subject,
            "original_preheader": request.original_preheader or pasted.preheader,
        }
    )
    edit = Edit(
        kind="pasted",
        before=original,
        after=pasted.body,
        reason="an e-mail pasted with its labels: the subject and preheader read as such, "
        "the labels left out of the body",
    )
    return split, edit


def analyze_segment(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Score the merchant's history in the segment and pick the first mode that can run."""
    ctx = runtime.context
    request, pasted = unpasted(parse_request(state))
    store = store_for(ctx.home)
    known = store.merchant(request.merchant_id)
    merchant = known or Merchant(merchant_id=request.merchant_id, name=request.merchant_id)
    problem = offer_problem(request, merchant) or locale_problem(request, ctx)
    if problem:
        raise InvalidRequest(f"invalid CampaignRequest: {problem}")
    analysis = segment_analyst.analyze(
        store,
        request.merchant_id,
        request.segment,
        min_templates=ctx.min_own_templates,
        min_sends=ctx.min_own_sends,
        gap_confidence=ctx.gap_confidence,
        min_gap_ratio=ctx.min_gap_ratio,
        top_fraction=ctx.top_fraction,
        group_allowed="group" in ctx.modes,
        merchant_known=known is not None,
    )
    trail: list[FallbackStep] = []
    mode = "group"
    if not analysis.group_ok:
        trail.append(FallbackStep(mode="group", reason=analysis.group_reason))
        mode = "retrieval"
        if "retrieval" not in ctx.modes:
            trail.append(FallbackStep(mode="retrieval", reason="retrieval is off for this run"))
            mode = "rules"
    return {
        "request": request,
        "merchant": merchant,
        "analysis": analysis,
        "purpose": purpose_of(request, analysis.canonical),
        "edits": [pasted] if pasted else [],
        "merge_tokens": {},
        "mode": mode,
        "fallback_trail": trail,
        "id": request.id,
        "model": ctx.model,
        "degraded": False,
        "degraded_reason": None,
        "usage": Usage(),
        "attempts": 0,
        "patterns": [],
        "references": [],
        "require_approval": ctx.require_approval,
        "rejections": 0,
        "review": None,
    }


def retrieve(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Other merchants' top templates in the segment; step down to rules if none qualifies."""
    ctx = runtime.context
    request, analysis = state["request"], state["analysis"]
    found = retrieval.retrieve(
        store_for(ctx.home),
        index_for(ctx.home),
        request,
        analysis.canonical or request.segment,
        state["merchant"],
        threshold=ctx.similarity_threshold,
        k=ctx.max_references,
    )
    if found.reason is not None:
        return {
            "mode": "rules",
            "fallback_trail": [FallbackStep(mode="retrieval", reason=found.reason)],
        }
    return {"references": found.references}


def extract_patterns(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Copy features that went with conversion: own top vs bottom, or references vs segment."""
    ctx = runtime.context
    store, request, analysis = store_for(ctx.home), state["request"], state["analysis"]
    segment = analysis.canonical or request.segment
    _, everyone = segment_history(store, segment)
    spread = ctx.merchant_effect_spread
    channel, group = request.channel.value, state["mode"] == "group"
    scope = (request.merchant_id, segment, channel, spread, group)
    # In both modes the segment's lifts are moved by how this merchant's customers lean in
    # its other segments; group learning adds its own history here, which retrieval mode
    # was chosen for lacking. Every request of a batch for the same pair reuses them, and
    # in group learning the patterns too (its top and bottom templates are the pair's).
    leans = merchant_leans(store, request.merchant_id, segment, spread)
    lifts = per_data_version(
        store,
        "merchant_lifts",
        scope,
        lambda: content.own_lifts(
            own_history(store, request.merchant_id, segment) if group else [],
            segment_lifts(store, segment, channel, spread),
            leans,
            own_dispersion(store) if group else 1.0,
        ),
    )
    if group:
        patterns = per_data_version(
            store,
            "group_patterns",
            (*scope, tuple(analysis.top_ids), tuple(analysis.bottom_ids)),
            lambda: content.extract(
                own_history(store, request.merchant_id, segment),
                analysis.top_ids,
                contrast_ids=analysis.bottom_ids,
                lifts=lifts,
                leans=leans,
            ),
        )
    else:
        patterns = content.extract(
            [s.record for s in everyone],
            [r.template_id for r in state["references"]],
            lifts=lifts,
            leans=leans,
        )
    # The words themselves (openings, offer verbs, calls to action), read the same way: the
    # segment's, and in group learning the merchant's own moved from them.
    reading = per_data_version(
        store,
        "segment_wordings",
        segment,
        lambda: wording.read_segment(
            [s.record for s in everyone],
            segment_dispersion(store),
            segment_columns(store, segment),
        ),
    )
    wordings = per_data_version(
        store,
        "wordings",
        (request.merchant_id if group else "", segment, spread),
        lambda: wording.learn(
            reading, own_history(store, request.merchant_id, segment) if group else (), spread
        ),
    )
    model = load_model(model_for(ctx, "analyst"), ctx.model_timeout)
    if model is None or not patterns:
        return {"patterns": patterns, "wordings": wordings}
    # A model's reading of the patterns is computed once per merchant x segment x channel and
    # data version, and reused by every request of a batch; requests for the same pair wait
    # for one reading (one lock per pair, whatever the data version: imports do not add any).
    pair = (
        request.merchant_id,
        segment,
        request.channel.value,
        state["mode"],
        model_for(ctx, "analyst"),
    )
    key = "|".join(("patterns", *pair, store.get_meta("data_version") or ""))
    with _PATTERN_LOCKS[pair]:
        cached = store.cached(key)
        if cached is not None:
            notes = dict(json.loads(cached))
            return {
                "wordings": wordings,
                "patterns": [
                    p.model_copy(update={"description": notes.get(p.name, p.description)})
                    for p in patterns
                ],
            }
        spend = Spend(budget=budget(ctx.call_budget))
        exemplars = (
            [t.text for t in analysis.best_for(request.channel.value, 3)]
            if state["mode"] == "group"
            else [r.text for r in state.get("references", [])[:3]]
        )
        read = content.interpret(
            model,
            patterns,
            segment,
            request.channel.value,
            exemplars,
            spend=spend,
            method=ctx.structured_method,
            tries=ctx.model_tries,
        )
        if read is not None:
            store.cache(key, json.dumps([[p.name, p.description] for p in read]))
    return {
        "patterns": read or patterns,
        "wordings": wordings,
        **_spent(state, spend, None if read is not None else "pattern notes"),
    }


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


def _spent(state: State, spend: Spend, failed: str | None) -> dict[str, Any]:
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
            return {"template": draft, "llm_guidance": [], **_spent(state, spend, "template")}
        return {
            "template": rewritten.template,
            "llm_guidance": _steps(rewritten.guidance),
            "edits": [*_pasted(state), *rewritten.edits],
            **_spent(state, spend, None),
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
        return {"template": draft, "llm_guidance": [], **_spent(state, spend, "template")}
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
        **_spent(state, spend, None),
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


def adapt_template(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Adapt the best exemplars to this campaign, following the patterns (a writer model, when
    set, improves on the grounded draft of the best one)."""
    ctx = runtime.context
    request, analysis = state["request"], state["analysis"]
    attempt = state.get("attempts", 0)
    plan = template.plan_from(
        state["patterns"],
        analysis.canonical,
        request.channel.value,
        min_confidence=ctx.act_confidence,
        contrary_confidence=ctx.contrary_confidence,
        sms_segments=ctx.sms_max_segments,
        attempt=attempt,
    )
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
        draft, kept = edited.template, _edited(state, edited)
    else:
        draft, kept = (
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
    )
    return {"guidance": steps}


def evaluate(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Audience match, marketing effectiveness and predicted conversion of the new template."""
    ctx = runtime.context
    request, analysis = state["request"], state["analysis"]
    segment = analysis.canonical or request.segment
    response = segment_model(store_for(ctx.home), segment)
    own_rate = (
        (analysis.own_conversions + response.base * 50) / (analysis.own_sends + 50)
        if analysis.own_sends
        else None
    )
    scores = score_template(
        state["template"],
        request,
        state.get("patterns", []),
        state["rule_report"],
        analysis.canonical,
        response,
        own_rate,
        ctx.pattern_confidence,
        ctx.contrary_confidence,
    )
    written = _in_merchant_syntax(state)
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
    return {"scores": scores, **written, **_spent(state, spend, None)}


def _syntax(tokens: dict[str, str]) -> merge_fields.MergeSyntax:
    """The merge syntax a state's tokens record (the family under the key '')."""
    family = cast(merge_fields.Family, tokens.get("", "ours"))
    written = tuple(
        (cast(merge_fields.Field, k), v) for k, v in tokens.items() if k and k[0] != "§"
    )
    return merge_fields.MergeSyntax(family=family, written=written)


def _in_merchant_syntax(state: State) -> dict[str, Any]:
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
