"""The graph's state: the request's fields in, the result's fields out, and what the
nodes pass between them. Only ``fallback_trail`` has a reducer: several nodes add to it.

``variants`` is the one key that is both: the request's count comes in on it, and
``analyze_segment`` (which keeps the count in ``request``) turns it into the result's list."""

from __future__ import annotations

import operator
from typing import Annotated, Any, NotRequired, Required

from typing_extensions import TypedDict

from agents.segment_analyst import SegmentAnalysis
from tools.domain import (
    CampaignRequest,
    Edit,
    FallbackStep,
    GuidanceStep,
    Merchant,
    Mode,
    Pattern,
    Reference,
    Review,
    RuleReport,
    Scores,
    TemplateText,
    Usage,
    Variant,
    WordingLift,
)


class InputState(TypedDict, total=False):
    """A ``CampaignRequest``'s fields (DESIGN.md's contract)."""

    id: str | None
    """Echoed in the result; batch lines default it to their line number."""
    merchant_id: Required[str]
    """The merchant whose copy is improved."""
    segment: Required[str]
    """Audience segment: canonical (lapsed_90d) or the merchant's own name."""
    channel: Required[str]
    """im, sms, push or email."""
    voucher: dict[str, Any] | None
    """The offer record: type, value, min_spend, expires, code; absent for no offer."""
    product_category: Required[str]
    """Taxonomy path, most general first: apparel>shoes>running."""
    product_name: str | None
    """The product the campaign is about; absent for a category or the whole store."""
    purpose: str | None
    """What the message is for (promotion, back_in_stock, ...); read from the original when
    absent."""
    original_template: str | None
    """The merchant's current text, if any."""
    original_subject: str | None
    """The current text's e-mail subject or push title, if any."""
    original_preheader: str | None
    """The current e-mail's preheader, if any."""
    locale: str
    """Language of the copy."""
    send_date: str | None
    """When the campaign goes out, YYYY-MM-DD (default: today)."""
    variants: int | list[Variant]
    """In: how many templates to write for an A/B test (1-5; default 1, no variants)."""


class OutputState(TypedDict, total=False):
    """A ``GenerationResult``'s fields (DESIGN.md's contract)."""

    id: str | None
    """The request's id."""
    mode: Mode
    """The mode that produced the template: group, retrieval or rules."""
    purpose: str | None
    """What the message is for, as given or read from the original (a ``Purpose``)."""
    edits: list[Edit]
    """Where there was an original: each change made to it, with its reason."""
    merge_syntax: str
    """The placeholder style the template is written in (the merchant's own)."""
    fallback_trail: Annotated[list[FallbackStep], operator.add]
    """Modes tried and not taken, each with its reason."""
    template: TemplateText
    """The new message."""
    patterns: list[Pattern]
    """Copy features that went with conversion, with lift, interval and evidence ids."""
    references: list[Reference]
    """Templates the result learned from."""
    rule_report: RuleReport
    """The final rule check."""
    guidance: list[GuidanceStep]
    """Ordered writing advice, citing evidence."""
    scores: Scores
    """Audience match, marketing effectiveness, predicted conversion."""
    model: str
    """'offline' or the model that wrote."""
    degraded: bool
    """True when a model's answer was replaced by the grounded one."""
    degraded_reason: str | None
    """Why, when degraded."""
    usage: Usage
    """Model calls and tokens spent."""
    review: Review | None
    """The merchant's decision, when the run asked for approval."""
    variants: int | list[Variant]
    """Out: the other templates of an A/B test, each flipping one unsure feature."""
    variants_note: str | None
    """Why fewer variants were written than asked, when they were."""


class State(InputState, OutputState, total=False):
    """Everything a run knows."""

    request: NotRequired[CampaignRequest]
    """The validated request."""
    analysis: NotRequired[SegmentAnalysis]
    """The merchant's history in the segment, scored, and the mode verdict."""
    merchant: NotRequired[Merchant]
    """The merchant's profile (brand voice, discount cap, forbidden words)."""
    wordings: NotRequired[list[WordingLift]]
    """Openings, offer verbs and calls to action with what they went with in conversions."""
    llm_guidance: NotRequired[list[GuidanceStep]]
    """Guidance a model wrote with the template (checked), used instead of the grounded."""
    require_approval: NotRequired[bool]
    """Stop for the merchant's approval before finishing (Context.require_approval)."""
    rejections: NotRequired[int]
    """Drafts the merchant rejected (one regeneration is allowed)."""
    merge_tokens: NotRequired[dict[str, str]]
    """How the merchant's original wrote each merge field, to write the result back in."""
    attempts: NotRequired[int]
    """Drafts written so far (the rule check sends a failing draft back at most twice)."""


class Routing(TypedDict, total=False):
    """What the routers read: declaring it spares each routing step a copy of the whole
    state."""

    mode: Mode
    rule_report: RuleReport
    require_approval: bool
    review: Review | None
    request: CampaignRequest
