"""The template agent: turns patterns (or, in the fallback, best-practice rules) into a
writing plan and has the grounded writer adapt an exemplar slot by slot."""

from __future__ import annotations

import math
from collections.abc import Sequence

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

from agents.content import evidence_decides, feature_of, pattern_lines
from agents.rule_checker import rule_context
from prompts.common import RETRY_FEEDBACK, UNTRUSTED
from prompts.guidance import GUIDANCE_INSTRUCTIONS
from prompts.template import WRITER_SYSTEM, WRITER_USER
from tools import merge_fields
from tools.best_practice import practice
from tools.channels import LIMITS
from tools.domain import CampaignRequest, Merchant, Pattern, TemplateText
from tools.editor import Edited, Editor
from tools.features import template_features
from tools.models import Spend, StructuredMethod, ask
from tools.offers import OFFER_PHRASE, offer_phrase
from tools.purpose import purpose_of, target
from tools.rules import OPT_OUT, check, hard_violations, repair, sender_of
from tools.statistics import certainty
from tools.text import ungrounded_numbers
from tools.writer import Exemplar, WritePlan, Writer, request_seed

ALWAYS = ("offer_stated", "cta")
"""Never dropped: the offer is the reason to read, the link the way to act."""
NEVER = ("shouting", "vague_offer")
"""Never written, whatever the evidence: capitals and vague offers cost trust."""


def plan_from(
    patterns: Sequence[Pattern],
    canonical: str | None,
    channel: str,
    *,
    min_confidence: float,
    contrary_confidence: float,
    sms_segments: int = 1,
    attempt: int = 0,
) -> WritePlan:
    """Features to use (evidence first, strongest lift first, then best practice that the
    evidence does not contradict) and to avoid. Evidence decides a feature at
    ``min_confidence``, or at ``contrary_confidence`` where it goes against best practice.
    Each retry drops the weakest optional one."""
    best = practice(canonical, channel)
    use: list[str] = list(ALWAYS)
    avoid: set[str] = set()
    decided: set[str] = set()
    for pattern in sorted(patterns, key=lambda p: p.lift, reverse=True):
        feature = feature_of(pattern)
        sure = evidence_decides(pattern, best, min_confidence, contrary_confidence)
        if not sure or feature in decided:
            continue
        decided.add(feature)
        if pattern.lift >= 1 and feature not in NEVER:
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


def write(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    plan: WritePlan,
    exemplar: Exemplar | None,
    *,
    variant: int = 0,
    voice: Sequence[str] = (),
) -> TemplateText:
    """The grounded draft: the exemplar adapted slot by slot to this campaign, following the
    plan; ``variant`` (a retry, a rejection) changes the phrasing, not the facts; ``voice``
    (the merchant's past texts) may give it room."""
    seed = request_seed(request) + variant
    return Writer(request, merchant, canonical, seed=seed, voice=voice).write(plan, exemplar)


def draft_value(
    draft: TemplateText,
    request: CampaignRequest,
    patterns: Sequence[Pattern],
    plan: WritePlan | None = None,
) -> float:
    """What the patterns predict for a draft: the sum of the log lifts of the features it
    carries (an avoided feature's lift is below 1), each weighted by how sure its pattern
    is. A pattern the ``plan`` overruled counts for nothing: evidence too unsure to turn
    best practice in the plan does not turn it through the pick among phrasings either.
    Only differences between drafts of one request mean anything."""
    return _value(draft, request, _weights(patterns, plan))


def _weights(patterns: Sequence[Pattern], plan: WritePlan | None) -> list[tuple[str, float]]:
    """Each pattern's feature and what carrying it is worth (``draft_value``), read once
    for all the drafts of a request."""
    return [
        (feature_of(p), certainty(p.confidence) * math.log(p.lift))
        for p in patterns
        if p.lift > 0 and not (plan and plan.overrules(feature_of(p), p.lift >= 1))
    ]


def _value(
    draft: TemplateText, request: CampaignRequest, weights: list[tuple[str, float]]
) -> float:
    features = template_features(draft, request)
    return sum(weight for feature, weight in weights if features.get(feature, False))


def write_best(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    plan: WritePlan,
    exemplars: Sequence[Exemplar],
    patterns: Sequence[Pattern],
    *,
    drafts: int,
    variant: int = 0,
    voice: Sequence[str] = (),
) -> TemplateText:
    """The best of ``drafts`` phrasings of the plan from each exemplar (a merchant's top
    few templates, each with its own openings and lines) by what the patterns predict
    (phrasing carries features too: a hook that asks a question, a call to action that fits
    the code in). Of drafts valued alike, the one whose offer is read soonest wins, then
    the first one; with no evidence this is ``write`` on the first exemplar. The merchant's
    own text stays when the patterns
    predict it beats every draft and it breaks no hard rule: a rewrite must earn its
    place."""
    sources: list[Exemplar | None] = [*exemplars] or [None]
    if not patterns:
        sources, drafts = sources[:1], 1
    candidates = []
    for exemplar in sources:
        writer = Writer(
            request, merchant, canonical, seed=request_seed(request) + variant, voice=voice
        )
        candidates += [writer.write(plan, exemplar) for _ in range(drafts)]
    soon = "offer_early" not in plan.avoid
    weights = _weights(patterns, plan)

    def value(draft: TemplateText) -> tuple[float, int]:
        # Of drafts the patterns value alike, the one whose offer is read soonest (a
        # preview shows more of it), unless evidence has the plan hold the offer back.
        offer = OFFER_PHRASE.search(draft.body)
        read_by = offer.end() if offer else len(draft.body)
        return _value(draft, request, weights), -read_by if soon else 0

    best = max(candidates, key=value)
    if request.original_template and patterns:
        original = TemplateText(subject=best.subject, body=request.original_template)
        context = rule_context(request, merchant, plan.sms_segments)
        sound = not hard_violations(check(original, context))
        if sound and _value(original, request, weights) > _value(best, request, weights):
            return original
    return best


def edit(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    plan: WritePlan,
    patterns: Sequence[Pattern],
    own: Sequence[Exemplar] = (),
) -> Edited:
    """The merchant's original edited to the plan, each edit with its reason (group
    learning may borrow lines from ``own``, the merchant's best texts). The original itself
    stays when the patterns predict it beats the edit and it breaks no hard rule: an edit
    must earn its place."""
    editor = Editor(
        request, merchant, canonical, patterns, sender=sender_of(merchant, request), own=own
    )
    edited = editor.edit(plan)
    if patterns and request.original_template:
        original = TemplateText(
            subject=edited.template.subject,
            body=merge_fields.to_ours(request.original_template).text,
        )
        context = rule_context(request, merchant, plan.sms_segments)
        weights = _weights(patterns, plan)
        sound = not hard_violations(check(original, context))
        if sound and _value(original, request, weights) > _value(edited.template, request, weights):
            return Edited(original, (), edited.syntax)
    return edited


def rules_plan(canonical: str | None, channel: str, sms_segments: int) -> WritePlan:
    """The zero-shot fallback's plan: best practice for the segment and channel only."""
    return plan_from(
        (),
        canonical,
        channel,
        min_confidence=1.0,
        contrary_confidence=1.0,
        sms_segments=sms_segments,
    )


def original_exemplar(request: CampaignRequest) -> Exemplar | None:
    """The merchant's current text, whose clean opening and call to action the rules
    rewrite keeps."""
    original = request.original_template
    return Exemplar("original", original, own=True) if original else None


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
    plan = rules_plan(canonical, request.channel.value, sms_segments)
    return write(request, merchant, canonical, plan, original_exemplar(request), variant=variant)


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


class DraftStep(BaseModel):
    """One guidance step a model wrote."""

    text: str = Field(description="An action for the merchant and why.")
    evidence: list[str] = Field(
        default_factory=list, description="Evidence ids, only from the list given."
    )


class ModelDraft(BaseModel):
    """A model's message and the guidance for it."""

    subject: str | None = Field(
        default=None, description="Subject (e-mail) or title (push); else null."
    )
    body: str = Field(description="The message body.")
    guidance: list[DraftStep] = Field(description="3 to 6 steps, most important first.")


def _limits(channel: str, sms_segments: int) -> str:
    limits = LIMITS[channel]
    if channel == "sms":
        return (
            f"At most {sms_segments} SMS segment(s): 160 GSM-7 characters, or 70 if any "
            "character (an emoji) is outside GSM-7, opt-out text included."
        )
    subject = f"; subject at most {limits.subject_chars}" if limits.subject_chars else ""
    return f"Body at most {limits.body_chars} characters{subject}."


def write_with_model(
    model: BaseChatModel,
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    patterns: Sequence[Pattern],
    plan: WritePlan,
    exemplar: Exemplar | None,
    draft: TemplateText,
    evidence_ids: Sequence[str],
    *,
    sms_segments: int,
    spend: Spend,
    method: StructuredMethod,
    tries: int,
) -> ModelDraft | None:
    """The model's message and guidance, only if the message passes every hard rule, every
    cited id was given, and every number it quotes comes from the patterns or the voucher."""
    context = rule_context(request, merchant, sms_segments)
    voucher = request.voucher.model_dump_json() if request.voucher else "no offer"
    grounded = pattern_lines(patterns) + " " + voucher
    allowed_ids = set(evidence_ids)

    def problems(answer: ModelDraft) -> list[str]:
        fixed, _ = repair(TemplateText(subject=answer.subject, body=answer.body), context)
        found = [v.message for v in hard_violations(check(fixed, context))]
        for step in answer.guidance:
            found += [f"cites unknown evidence {e}" for e in step.evidence if e not in allowed_ids]
            found += [
                f"guidance quotes {n}, a number not in the patterns"
                for n in ungrounded_numbers(step.text, grounded)
            ]
        return found if answer.guidance else [*found, "no guidance steps"]

    system = WRITER_SYSTEM.format(
        channel=request.channel.value,
        voice=merchant.brand_voice,
        limits=_limits(request.channel.value, sms_segments),
        forbidden=", ".join(merchant.forbidden_words) or "(none)",
        sms_rule=(
            f"- Start with the sender '{sender_of(merchant, request)}: ', end with the opt-out "
            f"'{OPT_OUT}', and write no subject."
            if request.channel == "sms"
            else ("- Write no subject." if request.channel == "im" else "")
        ),
        locale=request.locale,
        guidance_instructions=GUIDANCE_INSTRUCTIONS.format(locale=request.locale),
        untrusted=UNTRUSTED,
    )
    user = WRITER_USER.format(
        segment=request.segment,
        channel=request.channel.value,
        purpose=purpose_of(request).value.replace("_", " "),
        target=target(request),
        category=request.product_category,
        voucher=voucher,
        offer=offer_phrase(request.voucher)
        if request.voucher
        else "no offer: say what the "
        f"message is for ({purpose_of(request).value.replace('_', ' ')}), promise nothing",
        use=", ".join(plan.use),
        avoid=", ".join(sorted(plan.avoid)) or "(nothing)",
        patterns=pattern_lines(patterns),
        exemplar=exemplar.text if exemplar else "(none)",
        original=request.original_template or "(none)",
        draft_subject=draft.subject or "",
        draft_body=draft.body,
        evidence_ids=", ".join(evidence_ids) or "(none)",
    )
    return ask(
        model,
        ModelDraft,
        system,
        user,
        spend=spend,
        method=method,
        tries=tries,
        check=problems,
        feedback=RETRY_FEEDBACK,
    )
