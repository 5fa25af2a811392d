"""What a merchant asks CRMAgent for: the ``CampaignRequest`` of DESIGN.md's contract."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

from tools.domain.catalogue import Voucher
from tools.domain.checks import (
    MAX_TEMPLATE_CHARS,
    CategoryPath,
    Identifier,
    Model,
    SegmentName,
    clean_text,
)
from tools.domain.vocabulary import Channel, Purpose


def _named(value: str) -> str:
    clean_text(value)
    if not value.strip():
        raise ValueError(
            "is blank: name the product the campaign is about, or leave product_name out for "
            "a category-wide or store-wide campaign"
        )
    return value


class CampaignRequest(Model):
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
    variants: int = Field(
        default=1,
        ge=1,
        le=5,
        description="How many templates to write for an A/B test: the main one and k-1 "
        "variants, each flipping one feature the evidence is least sure of (the original is "
        "the control).",
    )
