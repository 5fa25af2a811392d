"""The rule engine: each rule, its repair, and the SMS segment counter."""

from __future__ import annotations

from datetime import date

import pytest

from tools.domain import TemplateText, Voucher, VoucherType
from tools.message.channels import sms_count
from tools.message.offers import offer_fact_errors, offer_phrase
from tools.message.rules import RuleContext, check, check_and_repair, hard_violations

VOUCHER = Voucher(
    type=VoucherType.PERCENT_OFF, value=20, min_spend=50, expires=date(2026, 12, 31), code="BACK20"
)
GOOD = (
    "We miss you, {first_name}! Take 20% off the Trail Runner X on orders over $50. "
    "Only until Dec 31. Use code BACK20. Shop now: {link}"
)


def rules(channel: str = "im", **changes: object) -> RuleContext:
    return RuleContext(channel=channel, voucher=VOUCHER, **changes)  # type: ignore[arg-type]


def broken(body: str, context: RuleContext | None = None, subject: str | None = None) -> set[str]:
    found = check(TemplateText(subject=subject, body=body), context or rules())
    return {v.rule for v in hard_violations(found)}


def test_a_good_message_passes() -> None:
    assert broken(GOOD) == set()
    assert broken(GOOD + " Reply STOP to opt out.", rules("sms")) == {"sms_sender"}
    named = "Knix: Take 20% off the Trail runner X: {link} Reply STOP to opt out."
    assert broken(named, rules("sms", sender="Knix")) == set()
    assert broken(named.removeprefix("Knix: "), rules("sms", sender="Knix")) == {"sms_sender"}
    long_sms = GOOD + " Our customers love it, and it's back in stock. Reply STOP to opt out."
    assert broken(long_sms, rules("sms")) == {"channel_length", "sms_sender"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Take 25% off today.", "states 25% but the voucher gives 20% off on orders over $50"),
        ("Take 20% off orders over $40.", "states $40"),
        ("Take 20% off until Jan 5.", "states Jan 5 but the voucher expires Dec 31"),
        ("Use code SAVE20 for 20% off.", "states code SAVE20 but the voucher's code is BACK20"),
        ("20% off and free shipping!", "promises free shipping but the voucher is percent off"),
        ("20% off plus a free gift.", "promises gift"),
        ("Buy one pair, get a second free.", "promises bogo but the voucher is percent off"),
        ("Everything is half price.", "states 50% but the voucher gives 20% off"),
    ],
)
def test_offer_facts_must_match_the_voucher(text: str, message: str) -> None:
    errors = offer_fact_errors(text, VOUCHER)
    assert any(message in error for error in errors), errors


def test_offer_facts_read_dates_and_amounts_in_several_forms() -> None:
    assert offer_fact_errors("Ends 31 December. 20 percent off over 50 USD.", VOUCHER) == []
    assert offer_fact_errors("Valid to 12/30.", VOUCHER) != []
    no_expiry = Voucher(type=VoucherType.AMOUNT_OFF, value=10)
    assert "no expiry" in offer_fact_errors("$10 off until Dec 31.", no_expiry)[0]
    assert offer_fact_errors("Loved by 20,000 customers, rated 4.8 stars.", VOUCHER) == []
    # A word that only starts like a month is no date: a shop named "Market 2" states none.
    for name in ("Brightside Market 2", "Decor 10", "Mayfair 3", "Juniper 5"):
        assert offer_fact_errors(f"{name}: 20% off over $50.", VOUCHER) == [], name
    assert offer_fact_errors("Sale ends Sept 4.", VOUCHER) != []


def test_offer_phrase_states_each_voucher_type() -> None:
    assert offer_phrase(VOUCHER) == "20% off on orders over $50"
    assert offer_phrase(Voucher(type=VoucherType.THRESHOLD, value=15, min_spend=100)) == (
        "$15 off when you spend $100"
    )
    assert offer_phrase(Voucher(type=VoucherType.BOGO)) == "buy one, get one free"


def test_gsm7_and_ucs2_segments() -> None:
    assert sms_count("a" * 160).segments == 1
    assert sms_count("a" * 161).segments == 2 and sms_count("a" * 306).segments == 2
    assert sms_count("a" * 307).segments == 3
    assert sms_count("€" * 80).units == 160  # extended GSM-7 costs two units
    one_emoji = sms_count("a" * 100 + "🎉")
    assert one_emoji.encoding == "UCS-2" and one_emoji.segments == 2
    assert sms_count("a" * 68 + "🎉").segments == 1


@pytest.mark.parametrize(
    ("body", "context", "rule"),
    [
        (GOOD.replace("{first_name}", "{firstname}"), rules(), "placeholders"),
        (GOOD + " {", rules(), "placeholders"),
        (GOOD.replace("{link}", "https://shop.example/x"), rules(), "links"),
        (GOOD + " It's cheap!", rules(forbidden_words=("cheap",)), "forbidden_words"),
        ("Take 20% off. Shop now: {link}", rules("sms"), "sms_opt_out"),
        ("TAKE 20% OFF THE TRAIL RUNNER NOW. Shop now: {link}", rules(), "shouting"),
        ("x" * 111, rules("push"), "channel_length"),
        ("", rules(), "empty"),
    ],
)
def test_each_hard_rule(body: str, context: RuleContext, rule: str) -> None:
    assert rule in broken(body, context)


def test_email_subject_length_and_soft_rules() -> None:
    assert "channel_length" in broken(GOOD, rules("email"), subject="x" * 51)
    soft = check(TemplateText(body=GOOD + " Hurry! Now!"), rules("email"))
    assert {v.rule for v in soft if v.severity == "soft"} == {"exclamations", "subject"}


def test_repairs_fix_what_they_can_and_say_so() -> None:
    body = (
        "WE MISS YOU SO MUCH!!! Take 20% off at https://shop.example/sale with code BACK20, "
        "{First Name}. It's cheap. Shop now: {link}"
    )
    fixed, report = check_and_repair(
        TemplateText(body=body), rules("sms", forbidden_words=("cheap",))
    )
    assert report.passed, report.violations
    assert "!!" not in fixed.body and "https://" not in fixed.body
    assert "{first_name}" in fixed.body and "cheap" not in fixed.body
    assert fixed.body.endswith("Reply STOP to opt out.")
    assert len(report.repairs) >= 5


def test_wrong_offers_are_not_repaired_away() -> None:
    _, report = check_and_repair(TemplateText(body="Take 30% off. Shop now: {link}"), rules())
    assert not report.passed and report.violations[0].rule == "offer_facts"


def test_premium_voice_allows_no_exclamation() -> None:
    fixed, report = check_and_repair(TemplateText(body=GOOD), rules(brand_voice="premium"))
    assert "!" not in fixed.body and report.passed
