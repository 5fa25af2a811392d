"""A stored template as the rest of CRMAgent reads it: ``TemplateRecord``, flat, with the
ingestion file's columns (``TEMPLATE_COLUMNS``), and the stable ids its voucher and
campaign rows are stored under."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

ARM_PREFIX = "exp-"
"""The template ids of experiment arms (``exp-<experiment>-a<arm>``): an import of one
keeps a reading of its totals, the experiment's history."""


class TemplateRecord(NamedTuple):
    """A template with its campaign, voucher and statistics, flat (the ingestion columns)."""

    template_id: str
    merchant_id: str
    segment: str
    channel: str
    voucher_type: str
    voucher_value: float
    min_spend: float | None
    expires: str | None
    code: str | None
    product_category: str
    text: str
    subject: str | None
    sends: int
    opens: int
    clicks: int
    conversions: int
    revenue: float | None
    sent_at: str


TEMPLATE_COLUMNS: tuple[str, ...] = TemplateRecord._fields


def _digest(*parts: object) -> str:
    joined = "\x1f".join(["" if part is None else str(part) for part in parts])
    return hashlib.sha1(joined.encode()).hexdigest()[:16]


def voucher_id_for(record: TemplateRecord) -> str:
    """A stable voucher id: the same offer of the same merchant is one voucher row."""
    return "v_" + _digest(
        record.merchant_id,
        record.voucher_type,
        record.voucher_value,
        record.min_spend,
        record.expires,
        record.code,
    )


def campaign_id_for(record: TemplateRecord, voucher_id: str | None = None) -> str:
    """A stable campaign id: merchant x segment x voucher x category x channel x date."""
    return "c_" + _digest(
        record.merchant_id,
        record.segment,
        voucher_id or voucher_id_for(record),
        record.product_category,
        record.channel,
        record.sent_at,
    )
