"""Copy in other languages: the rule check reads their numbers, currencies and dates, and
the grounded writer, which writes English only, says so instead of answering in English."""

from __future__ import annotations

from graph.context import Context
from graph.nodes import locale_problem
from tools.domain import CampaignRequest, TemplateText, Voucher
from tools.message.offers import offer_fact_errors
from tools.message.rules import RuleContext, check, hard_violations

VOUCHER = Voucher(type="percent_off", value=20, expires="2026-12-31")


def test_offers_are_read_as_each_locale_writes_them() -> None:
    assert offer_fact_errors("Jetzt 20 % Rabatt bis 31.12.", VOUCHER, "de") == []
    assert offer_fact_errors("Jetzt 25 % Rabatt", VOUCHER, "de") == [
        "states 25% but the voucher gives 20% off"
    ]
    assert offer_fact_errors("Spare 20 € heute", VOUCHER, "de")  # an amount, not a percent
    assert offer_fact_errors("全场8折", VOUCHER, "zh") == []  # 8折: 80% of the price
    assert offer_fact_errors("全场7折", VOUCHER, "zh") == [
        "states 30% but the voucher gives 20% off"
    ]
    # A numeric date is day first in French, month first in English.
    assert offer_fact_errors("jusqu'au 31/12", VOUCHER, "fr") == []
    assert offer_fact_errors("until 12/31", VOUCHER, "en") == []
    assert offer_fact_errors("jusqu'au 30/12", VOUCHER, "fr") == [
        "states Dec 30 but the voucher expires Dec 31"
    ]


def test_the_rule_check_holds_a_german_message_to_its_voucher() -> None:
    context = RuleContext(channel="im", voucher=VOUCHER, locale="de")
    wrong = TemplateText(body="Nur für dich: 30 % auf alles, bis 31.12.! {link}")
    assert [v.rule for v in hard_violations(check(wrong, context))] == ["offer_facts"]


def test_offline_a_language_the_writer_does_not_write_is_a_clear_error() -> None:
    request = CampaignRequest(
        merchant_id="m1", segment="vip", channel="sms", product_category="home", locale="de"
    )
    problem = locale_problem(request, Context(model="offline"))
    assert problem is not None and "'de'" in problem and "CRMAGENT_MODEL" in problem
    assert locale_problem(request, Context(model="openai:gpt-4o-mini")) is None
    assert locale_problem(request.model_copy(update={"locale": "en-GB"}), Context()) is None
