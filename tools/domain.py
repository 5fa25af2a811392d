"""Domain types of the CRM: merchants, segments, vouchers, campaigns, templates, and the
request/result pair of DESIGN.md's contract.

Everything that crosses a boundary (a file, an HTTP body, the graph's input) is validated
here, so the rest of the code can trust these values. Cross-field rules (the send funnel,
what a voucher of each type needs) are plain functions returning ``(field, message)``
pairs, so that ingestion can report them per row and field and the models can enforce them.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from functools import cache
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

CANONICAL_SEGMENTS: tuple[str, ...] = (
    "new_customer",
    "lapsed_30d",
    "lapsed_90d",
    "vip",
    "cart_abandoner",
    "deal_seeker",
    "repeat_buyer",
    "birthday",
)

MAX_TEMPLATE_CHARS = 20_000
"""Longest template text accepted (a long e-mail body fits; a pasted web page does not)."""


class Channel(StrEnum):
    """Where a message is delivered."""

    IM = "im"
    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"


class VoucherType(StrEnum):
    """The kinds of offer a voucher can carry."""

    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    FREE_SHIPPING = "free_shipping"
    BOGO = "bogo"
    GIFT = "gift"
    THRESHOLD = "threshold"
    """Spend ``min_spend``, save ``value``."""


_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_SEGMENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_CATEGORY_PART = re.compile(r"^[a-z0-9][a-z0-9 &'_-]{0,39}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(
            f"{value!r} is not an identifier: use 1-64 letters, digits, '_', '.', ':' or '-', "
            "starting with a letter or digit"
        )
    return value


def _segment(value: str) -> str:
    if not _SEGMENT.match(value):
        raise ValueError(
            f"{value!r} is not a segment name: use lowercase letters, digits and '_', "
            "starting with a letter (e.g. lapsed_90d)"
        )
    return value


@cache  # an import names a few categories thousands of times
def _category(value: str) -> str:
    parts = [part.strip().lower() for part in value.split(">")]
    if not 1 <= len(parts) <= 6 or not all(_CATEGORY_PART.match(part) for part in parts):
        raise ValueError(
            f"{value!r} is not a category path: use 1-6 lowercase parts separated by '>' "
            "(e.g. apparel>shoes>running)"
        )
    return ">".join(parts)


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError(f"{value!r} is not a voucher code: use 2-32 letters, digits, '_' or '-'")
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BIDI_OVERRIDE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str) -> str:
    """Refuse characters that hide or reorder what a customer sees: control characters and
    bidirectional overrides (a right-to-left mark alone is fine). The error's location
    names the field."""
    if _CONTROL.search(value):
        raise ValueError("holds a control character; remove it (tabs and line breaks are fine)")
    if _BIDI_OVERRIDE.search(value):
        raise ValueError(
            "holds a bidirectional override (U+202A-U+202E, U+2066-U+2069), which can "
            "disguise text; remove it"
        )
    return value


def _text(value: str) -> str:
    clean_text(value)
    if not value.strip():
        raise ValueError("is empty: give the message the customers received")
    if len(value) > MAX_TEMPLATE_CHARS:
        raise ValueError(f"has {len(value):,} characters; at most {MAX_TEMPLATE_CHARS:,}")
    return value


def _named(value: str) -> str:
    clean_text(value)
    if not value.strip():
        raise ValueError(
            "is blank: name the product the campaign is about, or leave product_name out for "
            "a category-wide or store-wide campaign"
        )
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
SegmentName = Annotated[str, AfterValidator(_segment)]
"""A segment identifier: canonical (``lapsed_90d``) or the merchant's own (``winback``)."""
CategoryPath = Annotated[str, AfterValidator(_category)]
"""A product taxonomy path, most general first: ``apparel>shoes>running``."""
VoucherCode = Annotated[str, AfterValidator(_code)]
TemplateBody = Annotated[str, AfterValidator(_text)]


def category_parts(path: str) -> list[str]:
    """The taxonomy levels of a category path, most general first."""
    return path.split(">")


def voucher_problems(
    voucher_type: VoucherType, value: float, min_spend: float | None
) -> list[tuple[str, str]]:
    """What is wrong with a voucher's numbers, as ``(field, message)`` pairs (empty if fine)."""
    problems: list[tuple[str, str]] = []
    if value < 0:
        problems.append(("value", f"value ({value:g}) is negative"))
    if min_spend is not None and min_spend < 0:
        problems.append(("min_spend", f"min_spend ({min_spend:g}) is negative"))
    if voucher_type is VoucherType.PERCENT_OFF and not 0 < value < 100:
        problems.append(("value", f"percent_off value ({value:g}) must be between 0 and 100"))
    if voucher_type is VoucherType.AMOUNT_OFF and value <= 0:
        problems.append(("value", "amount_off value must be the amount saved, above 0"))
    if voucher_type is VoucherType.THRESHOLD:
        if min_spend is None or min_spend <= 0:
            problems.append(("min_spend", "threshold vouchers need min_spend (spend X save Y)"))
        elif value <= 0 or value >= min_spend:
            problems.append(
                (
                    "value",
                    f"threshold value ({value:g}) must be above 0 and below "
                    f"min_spend ({min_spend:g})",
                )
            )
    return problems


def describe_error(error: ErrorDetails) -> str:
    """One pydantic error as a sentence: our own validators' messages as they are (they
    quote the value), any other with the value it got."""
    message = str(error["msg"])
    if error["type"] == "value_error":
        return message.removeprefix("Value error, ")
    if error["type"] == "missing":
        return message
    shown = repr(error["input"])
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{message} (got {shown})"


def validation_problems(exc: ValidationError, whole: str) -> str:
    """A validation error on one line, each problem named by its field (``voucher.value:
    ...``); ``whole`` names a problem of the object as a whole."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or whole}: {describe_error(error)}"
        for error in exc.errors()
    )


def funnel_problems(sends: int, opens: int, clicks: int, conversions: int) -> list[tuple[str, str]]:
    """Breaks of the funnel sends >= opens >= clicks >= conversions, as ``(field, message)``."""
    problems: list[tuple[str, str]] = []
    steps = (("sends", sends), ("opens", opens), ("clicks", clicks), ("conversions", conversions))
    for (upper_name, upper), (name, count) in pairwise(steps):
        if count > upper:
            problems.append((name, f"{name} ({count}) > {upper_name} ({upper})"))
    return problems


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MergeStyle = Literal["ours", "liquid", "mailchimp", "whatsapp", "percent"]
"""Placeholder styles of the tools merchants send with: ours (``{first_name}``), Klaviyo and
Liquid (``{{ first_name }}``), Mailchimp (``*|FNAME|*``), WhatsApp (``{{1}}``), percent
(``%FIRSTNAME%``)."""


class Merchant(_Model):
    """A shop that sends messages."""

    merchant_id: Identifier
    name: str = Field(min_length=1, description="Display name of the shop.")
    brand_voice: str = Field(
        default="friendly", description="How the shop speaks: friendly, premium, playful, ..."
    )
    locale: str = Field(default="en", description="Language of the shop's messages.")
    max_discount: float | None = Field(
        default=None, ge=0, le=100, description="Largest percent discount the shop allows."
    )
    forbidden_words: tuple[str, ...] = Field(
        default=(), description="Words the shop never wants in its copy."
    )
    merge_fields: MergeStyle | None = Field(
        default=None,
        description="Placeholder style of the shop's sending tool (ours, liquid, mailchimp, "
        "whatsapp, percent); absent: read from each original.",
    )


class Segment(_Model):
    """An audience segment of a merchant, optionally mapped onto a canonical one."""

    merchant_id: Identifier
    name: SegmentName
    canonical: SegmentName | None = Field(
        default=None, description="The canonical segment whose best-practice rules apply."
    )

    @model_validator(mode="after")
    def _canonical_is_known(self) -> Segment:
        if self.canonical is not None and self.canonical not in CANONICAL_SEGMENTS:
            raise ValueError(
                f"canonical segment {self.canonical!r} is unknown; use one of "
                + ", ".join(CANONICAL_SEGMENTS)
            )
        if self.name in CANONICAL_SEGMENTS and self.canonical not in (None, self.name):
            raise ValueError(
                f"segment name {self.name!r} is itself a canonical segment and always stands "
                f"for itself; map a name of the merchant's own (e.g. winback) onto "
                f"{self.canonical!r}"
            )
        return self


class Purpose(StrEnum):
    """What a message is for: an offer, or news that needs none."""

    PROMOTION = "promotion"
    BACK_IN_STOCK = "back_in_stock"
    NEW_ARRIVALS = "new_arrivals"
    PRICE_DROP = "price_drop"
    CART_REMINDER = "cart_reminder"
    LOYALTY = "loyalty"
    BIRTHDAY = "birthday"
    WINBACK = "winback"
    ANNOUNCEMENT = "announcement"


def _zero_if_none(value: object) -> object:
    return 0.0 if value is None else value


class Voucher(_Model):
    """The offer a campaign carries; the source of truth for every offer fact in the copy."""

    type: VoucherType
    value: Annotated[float, BeforeValidator(_zero_if_none)] = Field(
        default=0.0,
        description="Percent for percent_off, amount for amount_off and threshold; null, "
        "absent or 0 for free_shipping, bogo and gift.",
    )
    min_spend: float | None = Field(default=None, description="Minimum basket to qualify.")
    expires: date | None = Field(default=None, description="Last day the voucher is valid.")
    code: VoucherCode | None = Field(default=None, description="Code the customer enters.")

    @model_validator(mode="after")
    def _numbers_fit_type(self) -> Voucher:
        problems = voucher_problems(self.type, self.value, self.min_spend)
        if problems:
            raise ValueError("; ".join(f"{field}: {message}" for field, message in problems))
        return self


class SendStats(_Model):
    """How a template performed: counts along the funnel, and revenue."""

    sends: NonNegativeInt
    opens: NonNegativeInt
    clicks: NonNegativeInt
    conversions: NonNegativeInt
    revenue: NonNegativeFloat = 0.0

    @model_validator(mode="after")
    def _funnel_holds(self) -> SendStats:
        problems = funnel_problems(self.sends, self.opens, self.clicks, self.conversions)
        if problems:
            raise ValueError("; ".join(message for _, message in problems))
        return self


class Campaign(_Model):
    """One send of a merchant to a segment with a voucher, for a category, on a channel."""

    campaign_id: Identifier
    merchant_id: Identifier
    segment: SegmentName
    voucher: Voucher
    product_category: CategoryPath
    channel: Channel
    sent_at: date


class Template(_Model):
    """A message text of a campaign and how it performed."""

    template_id: Identifier
    campaign: Campaign
    text: TemplateBody
    subject: str | None = None
    stats: SendStats


class CampaignRequest(_Model):
    """What a merchant asks CRMAgent for: copy for one campaign (DESIGN.md's contract)."""

    id: str | None = Field(default=None, description="Echoed in the result (batch line id).")
    merchant_id: Identifier = Field(description="The merchant whose copy is improved.")
    segment: SegmentName = Field(
        description="Audience segment: canonical (lapsed_90d) or the merchant's own name."
    )
    channel: Channel = Field(description="im, sms, push or email.")
    voucher: Voucher | None = Field(
        default=None, description="The offer; absent for a message that carries none."
    )
    product_category: CategoryPath = Field(
        description="Taxonomy path, most general first (apparel>shoes>running); one level "
        "for a store-wide campaign."
    )
    product_name: Annotated[str, AfterValidator(_named)] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The product the campaign is about; absent when the offer or news is "
        "for the category or the whole store.",
    )
    purpose: Purpose | None = Field(
        default=None,
        description="What the message is for; inferred from the original text when absent.",
    )
    original_template: (
        Annotated[str, Field(max_length=MAX_TEMPLATE_CHARS), AfterValidator(clean_text)] | None
    ) = Field(
        default=None,
        description="The merchant's current text, to be improved; absent for new copy.",
    )
    original_subject: Annotated[str, Field(max_length=300), AfterValidator(clean_text)] | None = (
        Field(default=None, description="The current text's e-mail subject or push title.")
    )
    original_preheader: Annotated[str, Field(max_length=300), AfterValidator(clean_text)] | None = (
        Field(default=None, description="The current e-mail's preheader (preview text).")
    )
    locale: str = Field(default="en", description="Language of the copy (offline: English only).")
    send_date: date | None = Field(
        default=None,
        description="When the campaign goes out (default: today); the voucher must not have "
        "expired by then.",
    )


Mode = Literal["group", "retrieval", "rules"]


class FallbackStep(_Model):
    """A mode that was tried and not taken, with the reason."""

    mode: Mode
    reason: str


class TemplateText(_Model):
    """The generated message."""

    subject: str | None = None
    preheader: str | None = Field(
        default=None, description="An e-mail's preheader: the preview text after the subject."
    )
    body: str


class Pattern(_Model):
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


class WordingLift(_Model):
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


class Reference(_Model):
    """A template the result learned from."""

    template_id: str
    merchant_id: str
    similarity: float
    text: str
    cvr: float | None = None


class RuleViolation(_Model):
    """One rule the copy breaks."""

    rule: str
    severity: Literal["hard", "soft"]
    message: str


class RuleReport(_Model):
    """The rule check of the final template."""

    passed: bool
    violations: list[RuleViolation] = Field(default_factory=list)
    repairs: list[str] = Field(default_factory=list)


class GuidanceStep(_Model):
    """One step of writing advice for the merchant."""

    step: int
    text: str
    evidence: list[str] = Field(default_factory=list)


class Scores(_Model):
    """How good the new template is expected to be."""

    audience_match: float = Field(ge=0, le=1)
    marketing_effectiveness: float = Field(ge=0, le=1)
    predicted_cvr: float = Field(ge=0, le=1)


class Usage(_Model):
    """Model calls spent on the request (the judge's counted apart)."""

    calls: int = 0
    judge_calls: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None


class Edit(_Model):
    """One change made to the merchant's own text, with the reason for it."""

    kind: str = Field(description="What kind of change: offer_early, shouting, sender, ...")
    before: str = Field(description="The text as the merchant wrote it ('' for an addition).")
    after: str = Field(description="The text as it now reads ('' for a removal).")
    reason: str = Field(description="Why, in the merchant's words.")
    pattern: str | None = Field(
        default=None, description="The pattern behind it, when evidence asked for it."
    )
    evidence: list[str] = Field(default_factory=list, description="Template ids behind it.")


class Review(_Model):
    """The merchant's decision on a draft, when the run asked for approval."""

    status: Literal["approved", "edited", "edit_refused", "regenerating", "rejected"]
    reason: str | None = None


class GenerationResult(_Model):
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
