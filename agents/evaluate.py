"""The evaluate agent: how well the new template fits the audience, how well it is built,
and what conversion the agent's own response model (fitted on visible history) expects."""

from __future__ import annotations

import math
from collections.abc import Sequence

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

from agents.content import evidence_decides, pattern_lines
from prompts.common import UNTRUSTED
from prompts.judge import JUDGE_SYSTEM, JUDGE_USER
from tools.crm.response_model import ResponseModel
from tools.domain import CampaignRequest, Pattern, RuleReport, Scores, TemplateText
from tools.message.best_practice import practice
from tools.message.channels import LIMITS
from tools.message.features import feature_of, template_features
from tools.models import Spend, StructuredMethod, ask


def audience_match(
    features: dict[str, bool],
    patterns: Sequence[Pattern],
    canonical: str | None,
    channel: str,
    min_confidence: float,
    contrary_confidence: float,
) -> float:
    """Share of what the audience responds to that the copy does: evidence-backed patterns
    weighted by their log-lift, best practice (weight 0.1 each) where evidence is silent or
    not sure enough to overrule it."""
    weights: dict[str, tuple[float, bool]] = {}
    best = practice(canonical, channel)
    for pattern in patterns:
        sure = evidence_decides(pattern, best, min_confidence, contrary_confidence)
        if sure and pattern.lift > 0:
            weights[feature_of(pattern)] = (abs(math.log(pattern.lift)) + 0.05, pattern.lift >= 1)
    for feature in best.use:
        weights.setdefault(feature, (0.1, True))
    for feature in best.avoid:
        weights.setdefault(feature, (0.1, False))
    total = sum(w for w, _ in weights.values())
    if total == 0:
        return 0.5
    met = sum(w for f, (w, wanted) in weights.items() if features.get(f, False) == wanted)
    return round(met / total, 3)


def marketing_effectiveness(
    template: TemplateText,
    features: dict[str, bool],
    report: RuleReport,
    channel: str,
) -> float:
    """A checklist of craft: offer stated and early, a call to action, a length in the
    channel's sweet spot, no vague offer or shouting, every hard rule passed."""
    low, high = LIMITS[channel].ideal_body_chars
    checks = [
        features["offer_stated"],
        features["offer_early"],
        features["cta"],
        low <= len(template.body) <= high,
        not features["vague_offer"],
        not features["shouting"],
        report.passed,
        not report.violations,
    ]
    return round(sum(checks) / len(checks), 3)


def evaluate(
    template: TemplateText,
    request: CampaignRequest,
    patterns: Sequence[Pattern],
    report: RuleReport,
    canonical: str | None,
    model: ResponseModel,
    base_rate: float | None,
    min_confidence: float,
    contrary_confidence: float,
    base_sends: float | None = None,
) -> Scores:
    """The three scores of the result, and the predicted rate's 90% interval (``base_sends``:
    what the merchant's own ``base_rate`` rests on, its sends and the prior's pseudo-sends)."""
    features = template_features(template, request)
    channel = request.channel.value
    low, high = model.interval(features, base_rate, base_sends)
    return Scores(
        audience_match=audience_match(
            features, patterns, canonical, channel, min_confidence, contrary_confidence
        ),
        marketing_effectiveness=marketing_effectiveness(template, features, report, channel),
        predicted_cvr=round(model.predict(features, base_rate), 6),
        predicted_cvr_low=round(low, 6),
        predicted_cvr_high=round(high, 6),
    )


class JudgeScores(BaseModel):
    """A judge model's grades."""

    audience_match: float = Field(ge=0, le=1, description="0-1: fits what the segment wants.")
    marketing_effectiveness: float = Field(ge=0, le=1, description="0-1: craft of the copy.")
    reasons: str = Field(description="One short reason for each score.")


def judge(
    model: BaseChatModel,
    template: TemplateText,
    request: CampaignRequest,
    voice: str,
    patterns: Sequence[Pattern],
    *,
    spend: Spend,
    method: StructuredMethod,
    tries: int,
) -> JudgeScores | None:
    """A rubric grade of the template by a judge model (its calls counted apart)."""
    return ask(
        model,
        JudgeScores,
        JUDGE_SYSTEM.format(untrusted=UNTRUSTED),
        JUDGE_USER.format(
            segment=request.segment,
            channel=request.channel.value,
            voice=voice,
            patterns=pattern_lines(patterns),
            subject=template.subject or "",
            body=template.body,
        ),
        spend=spend,
        method=method,
        tries=tries,
        judge=True,
    )
