"""The rule checker: repairs what can be repaired and reports what cannot."""

from __future__ import annotations

from tools.domain import CampaignRequest, Merchant, RuleReport, TemplateText
from tools.message.rules import RuleContext, allowed_sms_segments, check_and_repair, sender_of


def rule_context(request: CampaignRequest, merchant: Merchant, sms_segments: int) -> RuleContext:
    """The rules a request's copy is held to."""
    return RuleContext(
        channel=request.channel.value,
        voucher=request.voucher,
        forbidden_words=merchant.forbidden_words,
        brand_voice=merchant.brand_voice,
        sms_max_segments=allowed_sms_segments(
            sms_segments, request.original_template, sender_of(merchant, request)
        ),
        sender=sender_of(merchant, request),
        send_date=request.send_date,
        locale=request.locale,
        original=f"{request.original_subject or ''}\n{request.original_template or ''}",
    )


def check_template(
    template: TemplateText, request: CampaignRequest, merchant: Merchant, sms_segments: int
) -> tuple[TemplateText, RuleReport]:
    """The repaired template and its report (passed = no hard rule broken)."""
    return check_and_repair(template, rule_context(request, merchant, sms_segments))
