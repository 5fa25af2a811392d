"""The editor keeps the merchant's text and fixes what is wrong with it, each edit recorded
with its reason; merge fields come back in the merchant's own syntax."""

from __future__ import annotations

from datetime import date
from typing import Any

from tools.domain import CampaignRequest, Merchant
from tools.message import merge_fields
from tools.message.offers import offer_fact_errors
from tools.writing.editor import Editor
from tools.writing.writer import WritePlan

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


# -- copy that reads as a person wrote it ---------------------------------------------------


def test_the_sender_is_named_once_at_the_front_whatever_goes_before_its_first_line() -> None:
    long_opening = "Knix: You left something in your cart and it is still waiting for you!"
    body, _, _ = edit(f"{long_opening} Complete your order now {{link}}", voucher=VOUCHER)
    assert body.startswith("Knix: ") and body.count("Knix:") == 1
    # A sender repeated mid-text goes, with the edit that says so.
    body, kinds, _ = edit("Knix: Our sale is on. Knix: Just enter SAVE20. {link}", voucher=VOUCHER)
    assert body.count("Knix:") == 1 and "sender" in kinds


def test_a_code_and_an_end_date_follow_the_offer_they_belong_to() -> None:
    plan = WritePlan(use=("offer_stated", "cta", "urgency", "code_stated"))
    body, _, _ = edit("Here's 20% off everything: {link}", plan, voucher=VOUCHER)
    offer, code = body.index("20% off"), body.index("SAVE20")
    assert offer < code and "Ends" not in body[:offer]
    # The end date joins a short offer sentence the editor wrote.
    body, kinds, _ = edit("We miss you.", plan, voucher=VOUCHER, segment="lapsed_90d")
    assert "until Dec 31" in body and body.index("20%") < body.index("until Dec 31")
    assert "urgency" in kinds


def test_an_offer_is_on_goods_or_on_the_order_never_on_our_summer() -> None:
    from tools.message.purpose import category_name, names_goods

    assert category_name("apparel>shoes>running") == "running shoes"
    assert category_name("apparel>summer") == "summer range"
    assert category_name("store>sitewide") == "" and category_name("shop>cart") == ""
    assert names_goods("skincare") and names_goods("boots") and not names_goods("pharmacy")
    body, _, _ = edit("Summer is here.", voucher=VOUCHER, product_category="apparel>summer")
    assert "our summer range" in body and "our summer." not in body
    body, _, _ = edit("Come back soon.", voucher=VOUCHER, product_category="store>sitewide")
    assert "our sitewide" not in body and "20%" in body


def test_a_pasted_email_is_read_into_its_subject_preheader_and_body() -> None:
    from tools.message.text import unpaste

    pasted = unpaste("Subject: We miss you | Preview: Free shipping inside | Body: Hi there.")
    assert pasted == ("We miss you", "Free shipping inside", "Hi there.")
    assert unpaste("Subject: Welcome\nThanks for joining.") == (
        "Welcome",
        None,
        "Thanks for joining.",
    )
    assert unpaste("Subject line: 20% off ends tonight") == ("20% off ends tonight", None, "")
    assert unpaste("Our subject: shoes.") is None  # a label only where the text opens with it


def test_a_title_is_no_code_line_and_a_filled_blank_reads_as_written() -> None:
    request = {"channel": "email", "voucher": {**VOUCHER, "type": "free_shipping", "value": 0}}
    _, _, edited = edit("Your code: SAVE20. Come back soon: {link}", **request)
    assert edited.template.subject and "Your code" not in edited.template.subject
    body, _, _ = edit("You left your [Product name] in your cart. {link}")
    assert "your your" not in body and "left your favourite" in body
    # "code" before a plain word is no code: nothing is "corrected" into the sentence.
    body, _, _ = edit(
        "Here is a $5 promo code to order online: Promo5. {link}",
        voucher={"type": "amount_off", "value": 5, "code": "Promo5"},
    )
    assert "promo code to order online" in body


def test_what_a_reader_trips_on_is_mended_and_nothing_is_added_against_the_text() -> None:
    # The merchant's currency stays theirs: "Rs 100", not "Rs $100".
    threshold = {"type": "amount_off", "value": 100}
    body, _, _ = edit("Get Rs [discount] off all orders today. {link}", voucher=threshold)
    assert "Rs 100 off" in body and "$" not in body
    # A colon whose list went is a full stop.
    _, _, edited = edit(
        "You left 3 items in your cart:\n[Product 1]\n\nShop: {link}", channel="email"
    )
    assert "cart:" not in edited.template.body
    # A message that asks for a reply gets no link it did not have.
    body, kinds, _ = edit("What changed? Reply 'happy' and we'll respond.", channel="email")
    assert "{link}" not in body and "cta" not in kinds
    # A title does not widen an offer the text limits.
    half = {"type": "percent_off", "value": 50}
    _, _, edited = edit(
        "Up to 50% off selected collections", channel="push", voucher=half, product_category="a"
    )
    assert edited.template.subject == "50% off"
