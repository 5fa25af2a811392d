"""The domain types accept what a merchant means and reject what would mislead the agent."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tools.domain import (
    CampaignRequest,
    Merchant,
    Segment,
    SendStats,
    Voucher,
    VoucherType,
)

REQUEST: dict[str, Any] = {
    "merchant_id": "m007",
    "segment": "lapsed_90d",
    "channel": "sms",
    "voucher": {
        "type": "percent_off",
        "value": 20,
        "min_spend": 50,
        "expires": "2026-12-31",
        "code": "BACK20",
    },
    "product_category": "apparel>shoes>running",
    "product_name": "Trail runner X",
    "original_template": "optional current text",
    "locale": "en",
}


def test_contract_request_parses() -> None:
    request = CampaignRequest.model_validate(REQUEST)
    assert request.voucher.type is VoucherType.PERCENT_OFF
    assert request.voucher.expires is not None and request.voucher.expires.year == 2026


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"segment": "Lapsed 90"}, "segment"),
        ({"product_category": "apparel>>shoes"}, "product_category"),
        ({"product_name": ""}, "product_name"),
        ({"voucher": {"type": "percent_off", "value": 120}}, "voucher"),
        ({"voucher": {"type": "coupon", "value": 5}}, "voucher.type"),
        ({"voucher": {"type": "percent_off", "value": 10, "code": "a b"}}, "voucher.code"),
        ({"promo": "x"}, "promo"),
    ],
)
def test_request_rejects_bad_values(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        CampaignRequest.model_validate({**REQUEST, **change})
    assert field in {".".join(map(str, error["loc"])) for error in info.value.errors()}


def test_category_path_is_normalised() -> None:
    request = CampaignRequest.model_validate({**REQUEST, "product_category": "Apparel > Shoes"})
    assert request.product_category == "apparel>shoes"


@pytest.mark.parametrize(
    ("voucher", "message"),
    [
        ({"type": "threshold", "value": 10}, "min_spend"),
        ({"type": "threshold", "value": 60, "min_spend": 50}, "below min_spend"),
        ({"type": "amount_off", "value": 0}, "above 0"),
        ({"type": "percent_off", "value": 0}, "between 0 and 100"),
    ],
)
def test_voucher_numbers_must_fit_the_type(voucher: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Voucher.model_validate(voucher)


def test_offers_without_a_number_need_none() -> None:
    assert Voucher(type=VoucherType.FREE_SHIPPING).value == 0
    assert Voucher(type=VoucherType.THRESHOLD, value=15, min_spend=100).min_spend == 100


def test_funnel_must_narrow() -> None:
    with pytest.raises(ValidationError, match=r"conversions \(40\) > clicks \(12\)"):
        SendStats(sends=100, opens=50, clicks=12, conversions=40)
    with pytest.raises(ValidationError):
        SendStats(sends=-1, opens=0, clicks=0, conversions=0)


def test_merchant_discount_is_a_percent() -> None:
    with pytest.raises(ValidationError):
        Merchant(merchant_id="m1", name="Shop", max_discount=150)


def test_segment_maps_only_onto_canonical_names() -> None:
    assert Segment(merchant_id="m1", name="winback", canonical="lapsed_90d").canonical
    with pytest.raises(ValidationError, match="unknown"):
        Segment(merchant_id="m1", name="winback", canonical="sleepers")
