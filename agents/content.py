"""The content agent: which copy features went with conversion, with lift, interval, sample
size and the ids of the templates that show them.

Group mode contrasts the merchant's top and bottom templates; retrieval mode contrasts the
references with the segment baseline. In both, the lift itself is a Mantel-Haenszel ratio
within campaigns (so a feature is credited only for what it did against its own A/B
siblings), the segment's moved by the merchant's lean in its other segments and, in group
mode, pooled with the merchant's own lift in the segment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field

from prompts.common import RETRY_FEEDBACK, UNTRUSTED
from prompts.content import PATTERNS_SYSTEM, PATTERNS_USER
from tools.crm.history import campaign_lifts, columns_of, feature_lifts, features_of
from tools.crm.store import TemplateRecord
from tools.domain import Pattern
from tools.message.best_practice import Practice, contradicts
from tools.message.features import FEATURES, feature_of
from tools.message.text import ungrounded_numbers
from tools.models import Spend, StructuredMethod, ask
from tools.statistics import Lift, lift_from_log, log_se, shifted

LEAN_NOTE = "scaled by {lean:.2f}x for how your customers took it in your other segments"


def _name(feature: str, lift: float) -> str:
    return feature if lift >= 1 else f"avoid_{feature}"


def extract(
    population: Sequence[TemplateRecord],
    focus_ids: Sequence[str],
    *,
    contrast_ids: Sequence[str] = (),
    min_confidence: float = 0.0,
    lifts: Mapping[str, Lift] | None = None,
    leans: Mapping[str, tuple[float, float]] | None = None,
) -> list[Pattern]:
    """Patterns over ``population``, evidenced by the ``focus`` templates (top performers or
    references) that show a helpful feature, or the ``contrast`` ones (bottom performers)
    that show a harmful one. Ordered by strength of evidence. ``lifts`` may be given when
    they were computed (and cached) for the population already; ``leans``, when they moved
    those lifts, are named in each description they changed by 5% or more."""
    shown = {*focus_ids, *contrast_ids}
    features = {r.template_id: features_of(r) for r in population if r.template_id in shown}
    focus = [i for i in focus_ids if i in features]
    contrast = [i for i in contrast_ids if i in features]
    patterns = []
    if lifts is None:
        lifts = feature_lifts(columns_of(population))
    for feature, lift in lifts.items():
        helpful = lift.ratio >= 1
        confidence = lift.confidence if helpful else 1 - lift.confidence
        if confidence < min_confidence:
            continue
        shown_by = focus if helpful else (contrast or focus)
        evidence = [i for i in shown_by if features[i][feature]]
        share_focus = _share(features, focus, feature)
        share_contrast = _share(features, contrast, feature) if contrast else None
        description = FEATURES[feature]
        if share_contrast is not None:
            description += (
                f" (in {share_focus:.0%} of the top templates vs "
                f"{share_contrast:.0%} of the bottom)"
            )
        factor = math.exp(leans[feature][0]) if leans and feature in leans else 1.0
        lean = round(factor, 3) if abs(factor - 1) >= 0.05 else None
        if lean is not None:
            description += f" ({LEAN_NOTE.format(lean=factor)})"
        patterns.append(
            Pattern(
                name=_name(feature, lift.ratio),
                description=description,
                lift=round(lift.ratio, 3),
                ci_low=round(lift.ci_low, 3),
                ci_high=round(lift.ci_high, 3),
                confidence=round(confidence, 3),
                sample_size=lift.sample_size,
                evidence=evidence[:10],
                lean=lean,
            )
        )
    patterns.sort(key=lambda p: (p.confidence, abs(p.lift - 1)), reverse=True)
    return patterns


def _share(features: dict[str, dict[str, bool]], ids: Sequence[str], feature: str) -> float:
    return sum(features[i][feature] for i in ids) / len(ids) if ids else 0.0


def evidence_decides(
    pattern: Pattern, best: Practice, act_confidence: float, contrary_confidence: float
) -> bool:
    """Whether a pattern is sure enough to decide its feature: ``act_confidence`` where
    best practice agrees or is silent, ``contrary_confidence`` to go against it (a few
    hundred conversions, read one feature at a time, overturn what is known across the
    trade only when they are clear)."""
    helps = pattern.lift >= 1
    against = contradicts(best, feature_of(pattern), helps)
    return pattern.confidence >= (contrary_confidence if against else act_confidence)


def own_lifts(
    own: Sequence[TemplateRecord],
    segment: Mapping[str, Lift],
    leans: Mapping[str, tuple[float, float]],
    dispersion: float = 1.0,
) -> dict[str, Lift]:
    """The merchant's own feature lifts: what its segment's lift and its lean elsewhere
    predict for each feature (``leans`` covers every learned feature, the between-merchant
    spread in each lean's variance), updated by its own campaigns in the segment read with
    all features at once (``tools.statistics.joint_lifts``). A few dozen templates say
    little on their own, and a merchant's habits (urgency only ever in its vaguest texts,
    say) would make one feature read at a time take the blame for its siblings; the
    store's ``dispersion`` (``tools.crm.history.own_dispersion``) says how much less to trust
    them than their sends alone would."""
    expected = {f: shifted(lift, *leans[f]) for f, lift in sorted(segment.items())}
    names = list(expected)
    sends = sum(r.sends for r in own)
    read = [(r.sends, features_of(r)) for r in own]
    sends_with = {f: sum(n for n, has in read if has[f]) for f in names}
    prior = [(math.log(lift.ratio), log_se(lift) ** 2) for lift in expected.values()]
    posterior = campaign_lifts(columns_of(own), prior, dispersion, names)
    return {
        feature: lift_from_log(
            log_ratio,
            math.sqrt(variance),
            expected[feature].sends_with + sends_with[feature],
            expected[feature].sends_without + sends - sends_with[feature],
        )
        for feature, (log_ratio, variance) in zip(names, posterior, strict=True)
    }


class PatternNote(BaseModel):
    """A model's reading of one pattern."""

    name: str = Field(description="The pattern's name, exactly as given.")
    note: str = Field(description="One sentence: why it works (or hurts) with this audience.")


class PatternNotes(BaseModel):
    """A model's reading of the patterns."""

    notes: list[PatternNote]


def pattern_lines(patterns: Sequence[Pattern]) -> str:
    """The grounded patterns as the model sees them."""
    return "\n".join(
        f"- {p.name}: lift {p.lift:.2f}x (90% CI {p.ci_low:.2f}-{p.ci_high:.2f}), "
        f"n={p.sample_size} sends, {p.confidence:.0%} confident; {p.description}"
        for p in patterns
    )


def interpret(
    model: BaseChatModel,
    patterns: Sequence[Pattern],
    segment: str,
    channel: str,
    exemplars: Sequence[str],
    *,
    spend: Spend,
    method: StructuredMethod,
    tries: int,
) -> list[Pattern] | None:
    """The patterns with the model's explanation as their description, or None when the
    model did not give a valid one (its numbers must all come from the patterns)."""
    if not patterns:
        return list(patterns)
    # The strongest eight are what the writer and the guidance act on; the rest keep their
    # grounded description (and cost no tokens).
    names = {p.name for p in patterns[:8]}
    grounded = pattern_lines(patterns[:8])

    def problems(answer: PatternNotes) -> list[str]:
        found = [f"unknown pattern {n.name!r}" for n in answer.notes if n.name not in names]
        found += [
            f"invented number {x}"
            for n in answer.notes
            for x in ungrounded_numbers(n.note, grounded)
        ]
        return found or ([] if answer.notes else ["no notes"])

    answer = ask(
        model,
        PatternNotes,
        PATTERNS_SYSTEM.format(untrusted=UNTRUSTED),
        PATTERNS_USER.format(
            segment=segment,
            channel=channel,
            patterns=grounded,
            exemplars="\n".join(f"<exemplar>{e}</exemplar>" for e in exemplars[:1]),
        ),
        spend=spend,
        method=method,
        tries=tries,
        check=problems,
        feedback=RETRY_FEEDBACK,
    )
    if answer is None:
        return None
    notes = {n.name: n.note.strip() for n in answer.notes}
    return [
        p.model_copy(update={"description": notes.get(p.name, p.description)}) for p in patterns
    ]
