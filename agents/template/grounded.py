"""The template agent's grounded path: turns patterns (or, in the fallback, best-practice
rules) into a writing plan and has the grounded writer adapt an exemplar slot by slot, or the
editor edit the merchant's own text; no model."""

from __future__ import annotations

from collections.abc import Sequence

from agents.content import evidence_decides
from agents.rule_checker import rule_context
from tools.domain import CampaignRequest, Merchant, Pattern, TemplateText, WordingLift
from tools.message import merge_fields
from tools.message.best_practice import practice
from tools.message.features import feature_of, pattern_weights, weighed
from tools.message.offers import OFFER_PHRASE
from tools.message.rules import check, hard_violations, sender_of
from tools.writing import wording
from tools.writing.editor import Edited, Editor
from tools.writing.writer import Exemplar, WritePlan, Writer, request_seed

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
    return WritePlan(
        use=(*ALWAYS, *optional),
        avoid=frozenset(avoid),
        sms_segments=sms_segments,
        decided=frozenset(decided),
    )


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
    return weighed(
        draft, request, pattern_weights(patterns, None if plan is None else plan.overrules)
    )


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
    weights = pattern_weights(patterns, None if plan is None else plan.overrules)

    def value(draft: TemplateText) -> tuple[float, int]:
        # Of drafts the patterns value alike, the one whose offer is read soonest (a
        # preview shows more of it), unless evidence has the plan hold the offer back.
        offer = OFFER_PHRASE.search(draft.body)
        read_by = offer.end() if offer else len(draft.body)
        return weighed(draft, request, weights), -read_by if soon else 0

    best = max(candidates, key=value)
    if request.original_template and patterns:
        original = TemplateText(subject=best.subject, body=request.original_template)
        context = rule_context(request, merchant, plan.sms_segments)
        sound = not hard_violations(check(original, context))
        if sound and weighed(original, request, weights) > weighed(best, request, weights):
            return original
    return best


def edit(
    request: CampaignRequest,
    merchant: Merchant,
    canonical: str | None,
    plan: WritePlan,
    patterns: Sequence[Pattern],
    own: Sequence[Exemplar] = (),
    wordings: Sequence[WordingLift] = (),
) -> Edited:
    """The merchant's original edited to the plan, each edit with its reason (group
    learning may borrow lines from ``own``, the merchant's best texts; ``wordings`` may
    replace an opening, an offer's verb or a call to action's words). The original itself
    stays when the patterns and wordings predict it does at least as well as the edit and
    it breaks no hard rule: an edit must earn its place."""
    editor = Editor(
        request,
        merchant,
        canonical,
        patterns,
        sender=sender_of(merchant, request),
        own=own,
        wordings=wordings,
    )
    edited = editor.edit(plan)
    if patterns and request.original_template:
        original = TemplateText(
            subject=edited.template.subject,
            body=merge_fields.to_ours(request.original_template).text,
        )
        context = rule_context(request, merchant, plan.sms_segments)
        weights = pattern_weights(patterns, None if plan is None else plan.overrules)
        sound = not hard_violations(check(original, context))

        def predicted(text: TemplateText) -> float:
            return weighed(text, request, weights) + wording.value(text.body, wordings)

        if sound and predicted(original) > predicted(edited.template):
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
