"""The template agent: turns patterns (or, in the fallback, best-practice rules) into a
writing plan and has the grounded writer adapt an exemplar slot by slot."""

from __future__ import annotations

from collections.abc import Sequence

from agents.content import feature_of
from tools.best_practice import practice
from tools.domain import CampaignRequest, Merchant, Pattern, TemplateText
from tools.writer import Exemplar, WritePlan, Writer, request_seed

ALWAYS = ("offer_stated", "cta")
"""Never dropped: the offer is the reason to read, the link the way to act."""


def plan_from(
    patterns: Sequence[Pattern],
    canonical: str | None,
    channel: str,
    *,
    min_confidence: float,
    sms_segments: int = 1,
    attempt: int = 0,
) -> WritePlan:
    """Features to use (evidence first, strongest lift first, then best practice that the
    evidence does not contradict) and to avoid. Each retry drops the weakest optional one."""
    best = practice(canonical, channel)
    use: list[str] = list(ALWAYS)
    avoid: set[str] = set()
    decided: set[str] = set()
    for pattern in sorted(patterns, key=lambda p: p.lift, reverse=True):
        feature = feature_of(pattern)
        if pattern.confidence < min_confidence or feature in decided:
            continue
        decided.add(feature)
        if pattern.lift >= 1 and feature not in {"shouting", "vague_offer"}:
            if feature not in use:
                use.append(feature)
        elif feature not in ALWAYS:
            avoid.add(feature)
    use += [f for f in best.use if f not in decided and f not in use]
    avoid |= {f for f in best.avoid if f not in decided}
    optional = [f for f in use if f not in avoid and f not in ALWAYS]
    if attempt:
        optional = optional[: max(0, len(optional) - attempt)]
    return WritePlan(use=(*ALWAYS, *optional), avoid=frozenset(avoid), sms_segments=sms_segments)


def adapt(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    patterns: Sequence[Pattern],
    exemplar: Exemplar | None,
    *,
    min_confidence: float,
    sms_segments: int,
    attempt: int = 0,
) -> TemplateText:
    """The new template: the best exemplar adapted to this campaign, following the patterns."""
    plan = plan_from(
        patterns,
        canonical,
        request.channel.value,
        min_confidence=min_confidence,
        sms_segments=sms_segments,
        attempt=attempt,
    )
    seed = request_seed(request) + attempt  # a retry reads differently
    return Writer(request, merchant, canonical, seed=seed).write(plan, exemplar)


def rules_rewrite(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    *,
    sms_segments: int,
    variant: int = 0,
) -> TemplateText:
    """The zero-shot fallback: best practice for the segment and channel, keeping the
    merchant's own opening and call to action where they are clean."""
    plan = plan_from(
        (), canonical, request.channel.value, min_confidence=1.0, sms_segments=sms_segments
    )
    original = request.original_template
    exemplar = Exemplar("original", original, own=True) if original else None
    seed = request_seed(request) + variant
    return Writer(request, merchant, canonical, seed=seed).write(plan, exemplar)


def minimal(request: CampaignRequest, merchant: Merchant) -> TemplateText:
    """The plainest message: the offer and the link (and, for SMS, the opt-out)."""
    every_option = frozenset(
        {
            "urgency",
            "personalised",
            "code_stated",
            "exclusivity",
            "social_proof",
            "emoji",
            "question",
            "product_named",
            "long_copy",
        }
    )
    plan = WritePlan(use=ALWAYS, avoid=every_option)
    return Writer(request, merchant, None).write(plan)
