"""Domain types of the CRM: merchants, segments, vouchers, campaigns, templates, and the
request/result pair of DESIGN.md's contract.

Everything that crosses a boundary (a file, an HTTP body, the graph's input) is validated
here, so the rest of the code can trust these values. The words the types are written in
(``vocabulary``: canonical segments, channels, voucher types, purposes); how a value is
checked (``checks``: the checked strings, the cross-field rules as ``(field, message)``
pairs, the sentences a validation error is told in); what the CRM holds (``catalogue``:
merchants, segments, vouchers, campaigns, templates); the request (``request``) and the
result with its parts (``result``). Part of the ground: imports nothing of CRMAgent.
"""

from __future__ import annotations

from tools.domain.catalogue import (
    Campaign,
    Merchant,
    MergeStyle,
    Segment,
    SendStats,
    Template,
    Voucher,
)
from tools.domain.checks import (
    MAX_TEMPLATE_CHARS,
    CategoryPath,
    Identifier,
    SegmentName,
    TemplateBody,
    VoucherCode,
    clean_text,
    describe_error,
    funnel_problems,
    validation_problems,
    voucher_problems,
)
from tools.domain.request import CampaignRequest
from tools.domain.result import (
    Edit,
    FallbackStep,
    GenerationResult,
    GuidanceStep,
    Mode,
    Pattern,
    Reference,
    Review,
    RuleReport,
    RuleViolation,
    Scores,
    TemplateText,
    Usage,
    Variant,
    WordingLift,
)
from tools.domain.vocabulary import CANONICAL_SEGMENTS, Channel, Purpose, VoucherType

__all__ = [
    "CANONICAL_SEGMENTS",
    "MAX_TEMPLATE_CHARS",
    "Campaign",
    "CampaignRequest",
    "CategoryPath",
    "Channel",
    "Edit",
    "FallbackStep",
    "GenerationResult",
    "GuidanceStep",
    "Identifier",
    "Merchant",
    "MergeStyle",
    "Mode",
    "Pattern",
    "Purpose",
    "Reference",
    "Review",
    "RuleReport",
    "RuleViolation",
    "Scores",
    "Segment",
    "SegmentName",
    "SendStats",
    "Template",
    "TemplateBody",
    "TemplateText",
    "Usage",
    "Variant",
    "Voucher",
    "VoucherCode",
    "VoucherType",
    "WordingLift",
    "clean_text",
    "describe_error",
    "funnel_problems",
    "validation_problems",
    "voucher_problems",
]
