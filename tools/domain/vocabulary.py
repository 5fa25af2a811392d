"""The words the domain is written in: the canonical segments, the channels a message is
delivered on, the kinds of offer a voucher carries and what a message is for.

Every other module of the domain builds on these; a new channel, offer kind or purpose is
a member here (the contract's schema shows it).
"""

from __future__ import annotations

from enum import StrEnum

CANONICAL_SEGMENTS: tuple[str, ...] = (
    "new_customer",
    "lapsed_30d",
    "lapsed_90d",
    "vip",
    "cart_abandoner",
    "deal_seeker",
    "repeat_buyer",
    "birthday",
)


class Channel(StrEnum):
    """Where a message is delivered."""

    IM = "im"
    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"


class VoucherType(StrEnum):
    """The kinds of offer a voucher can carry."""

    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    FREE_SHIPPING = "free_shipping"
    BOGO = "bogo"
    GIFT = "gift"
    THRESHOLD = "threshold"
    """Spend ``min_spend``, save ``value``."""


class Purpose(StrEnum):
    """What a message is for: an offer, or news that needs none."""

    PROMOTION = "promotion"
    BACK_IN_STOCK = "back_in_stock"
    NEW_ARRIVALS = "new_arrivals"
    PRICE_DROP = "price_drop"
    CART_REMINDER = "cart_reminder"
    LOYALTY = "loyalty"
    BIRTHDAY = "birthday"
    WINBACK = "winback"
    ANNOUNCEMENT = "announcement"
