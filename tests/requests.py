"""The campaign request the tests send when the campaign itself does not matter."""

from __future__ import annotations

import re
from typing import Any

REQUEST: dict[str, Any] = {
    "merchant_id": "m007",
    "segment": "lapsed_90d",
    "channel": "sms",
    "voucher": {"type": "percent_off", "value": 20, "code": "BACK20", "expires": "2026-12-31"},
    "product_category": "apparel>shoes>running",
    "product_name": "Trail runner X",
    "send_date": "2026-11-01",
}

WITH_ORIGINAL: dict[str, Any] = {
    **REQUEST,
    "original_template": "We miss you! Come back for 20% off.",
}
"""The same campaign with the merchant's current text (what a model is asked to improve)."""

REAL_CAMPAIGNS: dict[str, dict[str, Any]] = {
    # A store-wide sale in the merchant's own (shouting, falsely urgent) words.
    "store": {
        **{k: v for k, v in REQUEST.items() if k != "product_name"},
        "product_category": "apparel",
        "voucher": {"type": "percent_off", "value": 20, "code": "ALL20", "expires": "2026-12-31"},
        "original_template": "HUGE SALE! 20% OFF EVERYTHING, today only! Use code ALL20.",
    },
    # A category-wide offer, new copy: no product, no original.
    "category": {
        **{k: v for k, v in REQUEST.items() if k != "product_name"},
        "channel": "email",
        "voucher": {"type": "free_shipping", "value": None},
    },
    # News with no offer at all.
    "back_in_stock": {
        **{k: v for k, v in REQUEST.items() if k != "voucher"},
        "channel": "sms",
        "original_template": "Your favourite Trail runner X is back in stock in your size!",
    },
}
"""Real campaigns' shapes: store-wide, category-wide, and no offer (README's contract)."""


def assert_natural(kind: str, request: dict[str, Any], result: dict[str, Any]) -> None:
    """What a copywriter would sign for each real campaign: the scope said in plain words,
    no invented offer, the purpose kept, the sender named first in an SMS."""
    template = result["template"]
    body, subject = template["body"], template["subject"] or ""
    text = f"{subject}\n{body}"
    assert result["rule_report"]["passed"], result
    assert not any(bad in text for bad in ("the our", "the everything", "the your", "  ")), text
    if request["channel"] in {"sms", "im"}:
        assert template["subject"] is None
    if request["channel"] == "sms":
        assert body.endswith("Reply STOP to opt out.") and re.match(r"^[^:]{2,40}: \S", body)
    if kind == "store":
        assert "20% off everything" in text.lower() and "ALL20" in body
        assert "today only" not in text.lower() and "HUGE" not in text  # false deadline, shouting
        assert result["purpose"] == "promotion" and result["edits"]
    if kind == "category":
        assert "running shoes" in text and "free shipping" in text.lower()
        assert "Trail runner" not in text  # a category is not a product
    if kind == "back_in_stock":
        assert result["purpose"] == "back_in_stock" and "back in stock" in body
        assert "%" not in text and "code" not in text.lower() and "free" not in text.lower()
