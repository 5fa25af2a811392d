"""Best-practice rules for the canonical segments and the channels: what copy should carry
when there is no evidence of the merchant's own (the rules fallback), and the prior the
data-driven modes start from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Practice:
    """Features to use and to avoid, each with the reason a merchant can read."""

    use: dict[str, str]
    avoid: dict[str, str]


_ALWAYS_USE = {
    "offer_stated": "a concrete offer beats a vague one in every segment",
    "offer_early": "the first line is often all that is read; lead with the offer",
    "cta": "one clear call to action with the link tells the customer what to do",
    "product_named": "naming the product makes the offer tangible",
}
_ALWAYS_AVOID = {
    "shouting": "capitals and '!!!' read as spam and cut trust",
    "vague_offer": "'great deals' without the offer gives no reason to click",
    "long_copy": "past the channel's sweet spot every extra line loses readers",
}

SEGMENT_PRACTICE: dict[str, Practice] = {
    "lapsed_30d": Practice(
        {
            "urgency": "a lapsing customer needs a reason to come back now",
            "personalised": "a name shows you noticed they have been away",
        },
        {},
    ),
    "lapsed_90d": Practice(
        {
            "urgency": "a long-lapsed customer needs a reason to come back now",
            "personalised": "a name shows you noticed they have been away",
        },
        {},
    ),
    "vip": Practice(
        {
            "exclusivity": "VIPs respond to being singled out",
            "personalised": "your best customers expect to be known by name",
        },
        {"urgency": "pressure tactics put off loyal customers"},
    ),
    "cart_abandoner": Practice(
        {
            "urgency": "the intent is fresh; a deadline closes the sale",
            "question": "a light question ('Forgot something?') reopens the decision",
        },
        {},
    ),
    "birthday": Practice(
        {
            "personalised": "a birthday message without a name feels automated",
            "exclusivity": "a birthday offer is a personal gift",
        },
        {"urgency": "a deadline spoils a birthday gift"},
    ),
    "new_customer": Practice(
        {
            "social_proof": "new customers trust what other customers chose",
            "code_stated": "a spelled-out code removes friction on a first order",
        },
        {},
    ),
    "deal_seeker": Practice(
        {
            "urgency": "deal seekers act on deadlines",
            "code_stated": "deal seekers look for the code",
        },
        {"exclusivity": "deal seekers care about the price, not the club"},
    ),
    "repeat_buyer": Practice(
        {"personalised": "a returning customer expects to be known by name"}, {}
    ),
}

CHANNEL_PRACTICE: dict[str, Practice] = {
    "im": Practice({"emoji": "an emoji helps a chat message stand out"}, {}),
    "push": Practice({"emoji": "an emoji helps a notification stand out"}, {}),
    "sms": Practice({}, {"emoji": "one emoji switches an SMS to UCS-2: 70 characters, not 160"}),
    "email": Practice(
        {},
        {
            "emoji": "emoji in e-mail copy read as promotional",
            "short_copy": "an e-mail of a line or two looks like an afterthought; a short "
            "paragraph (50-125 words) is read best",
        },
    ),
}


def contradicts(best: Practice, feature: str, helps: bool) -> bool:
    """Whether evidence that ``feature`` helps (or hurts) goes against best practice."""
    return feature in (best.avoid if helps else best.use)


def practice(segment: str | None, channel: str) -> Practice:
    """The combined best practice for a canonical segment (or none) and a channel."""
    seg = SEGMENT_PRACTICE.get(segment or "", Practice({}, {}))
    chan = CHANNEL_PRACTICE[channel]
    use = {**_ALWAYS_USE, **seg.use, **chan.use}
    avoid = {**_ALWAYS_AVOID, **seg.avoid, **chan.avoid}
    return Practice({k: v for k, v in use.items() if k not in avoid}, avoid)
