"""Reading the request and choosing the mode: the request validated (an offer or a language
the run cannot serve is refused with the fix), an e-mail pasted whole read into its parts,
and the segment's analysis that picks group learning, retrieval or the rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from langgraph.runtime import Runtime
from pydantic import ValidationError

from agents import segment_analyst
from graph.context import Context, model_for
from graph.state import InputState, State
from tools.crm.resources import store_for
from tools.domain import (
    CampaignRequest,
    Edit,
    FallbackStep,
    Merchant,
    Usage,
    VoucherType,
    validation_problems,
)
from tools.message.purpose import purpose_of
from tools.message.text import unpaste

REQUEST_KEYS = tuple(InputState.__annotations__)


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
        "variants": [],
    }
