"""What CRMAgent returns: the ``GenerationResult`` of DESIGN.md's contract and its parts,
the new text, the patterns and wordings its evidence found, the references it learned
from, the rule check, the guidance, the scores, the edits made to the merchant's own text,
the model calls spent and the merchant's review."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tools.domain.checks import Model
from tools.domain.vocabulary import Purpose

Mode = Literal["group", "retrieval", "rules"]


class FallbackStep(Model):
    """A mode that was tried and not taken, with the reason."""

    mode: Mode
    reason: str


class TemplateText(Model):
    """The generated message."""

    subject: str | None = None
    preheader: str | None = Field(
        default=None, description="An e-mail's preheader: the preview text after the subject."
    )
    body: str


class Pattern(Model):
    """A copy feature that goes with higher (or lower) conversion, with its evidence."""

    name: str
    description: str = ""
    lift: float = Field(description="Conversion ratio with the feature vs without (1.0 = none).")
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = Field(ge=0, le=1, description="Probability that the lift is real.")
    sample_size: int = Field(default=0, ge=0, description="Sends behind the estimate.")
    evidence: list[str] = Field(default_factory=list, description="Template ids showing it.")
    lean: float | None = Field(
        default=None,
        description="The factor the merchant's lean in its other segments moved the "
        "segment's lift by (None: less than 5% either way).",
    )


class WordingLift(Model):
    """The words a message used in one slot (its opening, the verb into its offer, its
    call to action) and how its A/B siblings did without them (``tools.writing.wording``)."""

    slot: Literal["opening", "offer_verb", "call"]
    key: str = Field(description="The wording, normalised ('' for an opening that is the offer).")
    surface: str = Field(description="The words as a template wrote them.")
    lift: float = Field(description="Conversion ratio with the wording vs its siblings without.")
    ci_low: float
    ci_high: float
    confidence: float = Field(ge=0, le=1, description="Probability the lift's direction is real.")
    sample_size: int = Field(default=0, ge=0, description="Sends behind the estimate.")
    channels: list[str] = Field(default_factory=list, description="Channels it was sent in.")
    voucher_types: list[str] = Field(default_factory=list, description="Offers it led into.")
    evidence: list[str] = Field(default_factory=list, description="Template ids that used it.")


class Reference(Model):
    """A template the result learned from."""

    template_id: str
    merchant_id: str
    similarity: float
    text: str
    cvr: float | None = None


class RuleViolation(Model):
    """One rule the copy breaks."""

    rule: str
    severity: Literal["hard", "soft"]
    message: str


class RuleReport(Model):
    """The rule check of the final template."""

    passed: bool
    violations: list[RuleViolation] = Field(default_factory=list)
    repairs: list[str] = Field(default_factory=list)


class GuidanceStep(Model):
    """One step of writing advice for the merchant."""

    step: int
    text: str
    evidence: list[str] = Field(default_factory=list)


class Scores(Model):
    """How good the new template is expected to be."""

    audience_match: float = Field(ge=0, le=1)
    marketing_effectiveness: float = Field(ge=0, le=1)
    predicted_cvr: float = Field(ge=0, le=1)
    predicted_cvr_low: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Low end of the 90% interval of predicted_cvr: how much templates vary "
        "in the segment, and how sure each feature's lift is.",
    )
    predicted_cvr_high: float | None = Field(
        default=None, ge=0, le=1, description="High end of the same 90% interval."
    )


class Usage(Model):
    """Model calls spent on the request (the judge's counted apart)."""

    calls: int = 0
    judge_calls: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None


class Edit(Model):
    """One change made to the merchant's own text, with the reason for it."""

    kind: str = Field(description="What kind of change: offer_early, shouting, sender, ...")
    before: str = Field(description="The text as the merchant wrote it ('' for an addition).")
    after: str = Field(description="The text as it now reads ('' for a removal).")
    reason: str = Field(description="Why, in the merchant's words.")
    pattern: str | None = Field(
        default=None, description="The pattern behind it, when evidence asked for it."
    )
    evidence: list[str] = Field(default_factory=list, description="Template ids behind it.")


class Review(Model):
    """The merchant's decision on a draft, when the run asked for approval."""

    status: Literal["approved", "edited", "edit_refused", "regenerating", "rejected"]
    reason: str | None = None


class Variant(Model):
    """Another template for an A/B test beside the main one: the merchant's text written
    again with one feature the evidence is least sure of flipped, so that the test teaches
    something."""

    feature: str = Field(description="The copy feature flipped (urgency, emoji, ...).")
    uses: bool = Field(description="Whether this variant carries the feature.")
    hypothesis: str = Field(
        description="What the test of this variant against the main template teaches, in the "
        "merchant's words, with how sure the evidence is."
    )
    pattern: str = Field(description="The pattern whose evidence is unsure.")
    confidence: float = Field(ge=0, le=1, description="How sure that pattern is.")
    template: TemplateText = Field(description="The variant's message.")
    edits: list[Edit] = Field(
        default_factory=list, description="Each change made to the merchant's original."
    )
    rule_report: RuleReport = Field(description="The variant's rule check.")
    scores: Scores = Field(description="The variant's grounded scores, with the interval.")


class GenerationResult(Model):
    """What CRMAgent returns for a request (DESIGN.md's contract)."""

    id: str | None = Field(default=None, description="The request's id.")
    mode: Mode = Field(description="The mode that wrote the template: group, retrieval, rules.")
    purpose: Purpose = Field(
        default=Purpose.PROMOTION, description="What the message is for, given or read."
    )
    fallback_trail: list[FallbackStep] = Field(
        default_factory=list, description="Modes tried and not taken, each with the reason."
    )
    template: TemplateText = Field(description="The new message.")
    patterns: list[Pattern] = Field(
        default_factory=list, description="Copy features that went with conversion."
    )
    references: list[Reference] = Field(
        default_factory=list, description="Templates the result learned from."
    )
    rule_report: RuleReport = Field(description="The final rule check.")
    guidance: list[GuidanceStep] = Field(
        default_factory=list, description="At most six steps, most valuable first."
    )
    scores: Scores = Field(description="Expected quality of the new template.")
    model: str = Field(default="offline", description="'offline' or the model that wrote.")
    degraded: bool = Field(
        default=False, description="A model's answer was replaced by the grounded one."
    )
    degraded_reason: str | None = Field(default=None, description="Why, when degraded.")
    usage: Usage = Field(default_factory=Usage, description="Model calls and tokens spent.")
    review: Review | None = Field(
        default=None, description="The merchant's decision, when approval was asked for."
    )
    edits: list[Edit] = Field(
        default_factory=list,
        description="Where there was an original: each change made to it, with its reason.",
    )
    merge_syntax: str = Field(
        default="ours",
        description="The placeholder style the template is written in (the merchant's own, "
        "read from the original or set in its profile).",
    )
    variants: list[Variant] = Field(
        default_factory=list,
        description="When the request asked for variants: the other templates of an A/B "
        "test, each flipping one feature the evidence is least sure of (empty for one).",
    )
    variants_note: str | None = Field(
        default=None,
        description="Why fewer variants were written than asked, when they were.",
    )
