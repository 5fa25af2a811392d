"""The campaign request the tests send when the campaign itself does not matter."""

from __future__ import annotations

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
