"""Property-based tests: no exception on any unicode text, and the invariants hold."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tools.domain import TemplateText, Voucher, VoucherType
from tools.message.channels import sms_count
from tools.message.features import CopyContext, copy_features
from tools.message.offers import offer_fact_errors
from tools.message.rules import RuleContext, check, check_and_repair, hard_violations
from tools.statistics import BetaPrior, fit_prior, shrink

pytestmark = pytest.mark.reliability

VOUCHER = Voucher(type=VoucherType.PERCENT_OFF, value=20, expires=date(2026, 12, 31), code="BACK20")
texts = st.text(max_size=400)


@settings(max_examples=300, deadline=None)
@given(
    body=texts, subject=st.none() | texts, channel=st.sampled_from(["sms", "push", "im", "email"])
)
def test_rules_never_raise_and_repair_keeps_its_promise(
    body: str, subject: str | None, channel: str
) -> None:
    context = RuleContext(channel=channel, voucher=VOUCHER, forbidden_words=("cheap",))
    template = TemplateText(subject=subject, body=body)
    check(template, context)
    repaired, report = check_and_repair(template, context)
    assert report.passed == (not hard_violations(check(repaired, context)))
    if channel == "sms" and repaired.body:
        assert "STOP" in repaired.body


@settings(max_examples=300, deadline=None)
@given(body=texts, subject=st.none() | texts)
def test_features_and_offer_facts_never_raise(body: str, subject: str | None) -> None:
    found = copy_features(body, subject, CopyContext("sms", "Trail Runner", "BACK20"))
    assert set(found.values()) <= {True, False}
    assert not (found["offer_stated"] and found["vague_offer"])
    offer_fact_errors(body, VOUCHER)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=700))
def test_sms_segments(text: str) -> None:
    count = sms_count(text)
    assert count.segments >= 1
    assert count.encoding in {"GSM-7", "UCS-2"}
    single = 160 if count.encoding == "GSM-7" else 70
    assert (count.segments == 1) == (count.units <= single)
    assert sms_count(text + "a").segments >= count.segments


@settings(max_examples=300, deadline=None)
@given(
    sends=st.integers(0, 1_000_000),
    data=st.data(),
    alpha=st.floats(0.01, 1e4),
    beta=st.floats(0.01, 1e6),
)
def test_shrinkage_stays_in_unit_interval_and_is_monotone(
    sends: int, data: st.DataObject, alpha: float, beta: float
) -> None:
    prior = BetaPrior(alpha, beta)
    conversions = data.draw(st.integers(0, sends))
    rate = shrink(conversions, sends, prior)
    assert 0 <= rate <= 1
    if conversions < sends:
        assert shrink(conversions + 1, sends, prior) >= rate


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 10_000)), max_size=40))
@example([(142, 142), (287, 287), (399, 399), (2, 2)])  # every send converted: mean 1 + 1ulp
def test_prior_fit_is_always_a_proper_beta(pairs: list[tuple[int, int]]) -> None:
    conversions = [min(c, n) for c, n in pairs]
    prior = fit_prior(conversions, [n for _, n in pairs])
    assert prior.alpha > 0 and prior.beta > 0 and 0 < prior.mean < 1
