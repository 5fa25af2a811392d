"""The editor keeps the merchant's text and fixes what is wrong with it, each edit recorded
with its reason; merge fields come back in the merchant's own syntax."""

from __future__ import annotations

from datetime import date
from typing import Any

from tools import merge_fields
from tools.domain import CampaignRequest, Merchant
from tools.editor import Editor
from tools.offers import offer_fact_errors
from tools.writer import WritePlan

SHOP = Merchant(merchant_id="knix", name="Knix")
PLAIN = WritePlan(use=("offer_stated", "cta"))


def edit(original: str, plan: WritePlan = PLAIN, **fields: Any) -> tuple[str, list[str], Any]:
    request = CampaignRequest.model_validate(
        {
            "merchant_id": "knix",
            "segment": "deal_seeker",
            "channel": "sms",
            "product_category": "apparel>intimates",
            "original_template": original,
            "send_date": "2026-12-10",
            **fields,
        }
    )
    edited = Editor(request, SHOP, "deal_seeker", sender="Knix").edit(plan)
    body = merge_fields.to_merchant(edited.template.body, edited.syntax)
    return body, [e.kind for e in edited.edits], edited


VOUCHER = {"type": "percent_off", "value": 20, "code": "SAVE20", "expires": "2026-12-31"}


def test_an_sms_gets_its_sender_opt_out_and_link_and_keeps_its_words() -> None:
    body, kinds, _ = edit("You've added something popular to your cart. Come back soon!")
    assert body.startswith("Knix: You've added something popular to your cart.")
    assert body.endswith("Reply STOP to opt out.") and "{link}" in body
    assert {"sender", "opt_out", "cta"} <= set(kinds)


def test_wrong_offer_facts_are_written_from_the_voucher() -> None:
    body, kinds, _ = edit("Knix: 25% off everything with code OLD25! {link}", voucher=VOUCHER)
    assert "20% off everything" in body and "SAVE20" in body and "OLD25" not in body
    assert "offer_facts" in kinds
    assert (
        offer_fact_errors(
            body,
            CampaignRequest.model_validate(
                {
                    "merchant_id": "k",
                    "segment": "vip",
                    "channel": "sms",
                    "product_category": "a",
                    "voucher": VOUCHER,
                }
            ).voucher,
        )
        == []
    )


def test_a_deadline_the_voucher_does_not_have_is_removed() -> None:
    body, kinds, _ = edit("Knix: 20% off everything, today only! {link}", voucher=VOUCHER)
    assert "today only" not in body.lower() and "20% off everything" in body
    assert "false_urgency" in kinds


def test_shouting_and_profanity_go() -> None:
    body, kinds, _ = edit("Knix: HUGE SALE ON EVERYTHING!!! Damn good bras. {link}")
    assert "HUGE" not in body and "!!" not in body and "Damn" not in body
    assert {"shouting", "profanity"} <= set(kinds)


def test_a_message_without_an_offer_gets_no_offer_and_no_code() -> None:
    body, _, _ = edit("Knix: Your favourite bra is back in stock in your size. {link}")
    assert "back in stock" in body and "%" not in body and "code" not in body.lower()


def test_the_plan_adds_the_name_and_the_code_where_the_text_lacks_them() -> None:
    plan = WritePlan(use=("offer_stated", "cta", "personalised", "code_stated"))
    body, kinds, _ = edit("Hi there! Take 20% off everything. {link}", plan, voucher=VOUCHER)
    assert body.startswith("Knix: Hi {first_name}!") and "SAVE20" in body
    assert {"personalised", "code_stated"} <= set(kinds)


def test_foreign_merge_fields_come_back_in_the_merchants_syntax() -> None:
    body, _, edited = edit("Hi {{1}}, your cart misses you. Finish here: {{2}}", channel="im")
    assert body.startswith("Hi {{1}}") and "{{2}}" in body and edited.syntax.family == "whatsapp"
    body, _, _ = edit("Hey *|FNAME|*, 20% off everything: *|ARCHIVE|*", voucher=VOUCHER)
    assert "*|FNAME|*" in body
    # A template library's brackets are no working merge field: written as ours, and said so.
    body, kinds, _ = edit("Hey [First name], 20% off everything: [link]", voucher=VOUCHER)
    assert "{first_name}" in body and "[First name]" not in body and "merge_fields" in kinds


def test_a_subject_on_an_sms_is_dropped_and_an_email_keeps_its_own() -> None:
    _, kinds, edited = edit("Knix: back in stock. {link}", original_subject="It's back")
    assert edited.template.subject is None and "subject" in kinds
    _, _, edited = edit(
        "Hi there,\n\nYour favourite bra is back in stock.",
        channel="email",
        original_subject="IT'S BACK NOW!!!",
        send_date=str(date(2026, 12, 10)),
    )
    assert edited.template.subject == "It's back now!"
