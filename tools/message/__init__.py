"""Reading and checking copy: what a message says and whether it may be sent.

The text's sentences (``text``), each channel's limits (``channels``), the offer a text
states and the voucher's facts (``offers``), what a campaign is for (``purpose``), the
deadlines it claims (``deadlines``), the merchant's merge fields (``merge_fields``), the copy
features the statistics count (``features``), the hard rules with their repairs (``rules``)
and the trade's best practice per segment and channel (``best_practice``). Imports only the
ground (``tools.domain``, ``tools.config``, ``tools.statistics``).
"""

from __future__ import annotations

from tools.message import merge_fields, purpose
from tools.message.best_practice import Practice, contradicts, practice
from tools.message.channels import LIMITS, body_fits, sms_count
from tools.message.deadlines import deadline_claims, deadline_errors, drop_unsupported
from tools.message.features import (
    FEATURES,
    CopyContext,
    copy_features,
    feature_of,
    has_emoji,
    is_shouting,
    offer_early,
    pattern_weights,
    template_features,
    weighed,
)
from tools.message.offers import (
    OFFER_PHRASE,
    date_phrase,
    money,
    offer_fact_errors,
    offer_phrase,
    stated_facts,
)
from tools.message.purpose import (
    category_name,
    infer_purpose,
    names_goods,
    names_purpose,
    purpose_of,
    target,
)
from tools.message.rules import (
    OPT_OUT,
    STOP_WORD,
    SUBJECTLESS,
    URL,
    RuleContext,
    allowed_sms_segments,
    check,
    check_and_repair,
    hard_violations,
    repair,
    sender_of,
    with_sender,
)
from tools.message.text import ACRONYMS, sentence_case, sentences, tidy, ungrounded_numbers, unpaste

__all__ = [
    "ACRONYMS",
    "FEATURES",
    "LIMITS",
    "OFFER_PHRASE",
    "OPT_OUT",
    "STOP_WORD",
    "SUBJECTLESS",
    "URL",
    "CopyContext",
    "Practice",
    "RuleContext",
    "allowed_sms_segments",
    "body_fits",
    "category_name",
    "check",
    "check_and_repair",
    "contradicts",
    "copy_features",
    "date_phrase",
    "deadline_claims",
    "deadline_errors",
    "drop_unsupported",
    "feature_of",
    "hard_violations",
    "has_emoji",
    "infer_purpose",
    "is_shouting",
    "merge_fields",
    "money",
    "names_goods",
    "names_purpose",
    "offer_early",
    "offer_fact_errors",
    "offer_phrase",
    "pattern_weights",
    "practice",
    "purpose",
    "purpose_of",
    "repair",
    "sender_of",
    "sentence_case",
    "sentences",
    "sms_count",
    "stated_facts",
    "target",
    "template_features",
    "tidy",
    "ungrounded_numbers",
    "unpaste",
    "weighed",
    "with_sender",
]
