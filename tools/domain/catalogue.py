"""What the CRM holds: merchants and their segments, the vouchers an offer is made with,
campaigns, and the templates they sent with how each performed."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, NonNegativeFloat, NonNegativeInt, model_validator

from tools.domain.checks import (
    CategoryPath,
    Identifier,
    Model,
    SegmentName,
    TemplateBody,
    VoucherCode,
    funnel_problems,
    voucher_problems,
)
from tools.domain.vocabulary import CANONICAL_SEGMENTS, Channel, VoucherType

MergeStyle = Literal["ours", "liquid", "mailchimp", "whatsapp", "percent"]
"""Placeholder styles of the tools merchants send with: ours (``{first_name}``), Klaviyo and
Liquid (``{{ first_name }}``), Mailchimp (``*|FNAME|*``), WhatsApp (``{{1}}``), percent
(``%FIRSTNAME%``)."""


class Merchant(Model):
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


class Segment(Model):
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


def _zero_if_none(value: object) -> object:
    return 0.0 if value is None else value


class Voucher(Model):
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


class SendStats(Model):
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


class Campaign(Model):
    """One send of a merchant to a segment with a voucher, for a category, on a channel."""

    campaign_id: Identifier
    merchant_id: Identifier
    segment: SegmentName
    voucher: Voucher
    product_category: CategoryPath
    channel: Channel
    sent_at: date


class Template(Model):
    """A message text of a campaign and how it performed."""

    template_id: Identifier
    campaign: Campaign
    text: TemplateBody
    subject: str | None = None
    stats: SendStats
