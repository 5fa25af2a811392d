"""The hidden response model: how the arena's customers respond to a text.

``expected_rates(world, campaign, subject, body)`` turns a text into expected open, click
and conversion rates from the world's latent variables; ``expected_cvr`` is their product
per send. The model reads copy through its own detector (``detect``), written apart from the
agent's copy features so that the agent cannot win by matching its own definitions. Only
the arena's generator and scorer call this module.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from arena.catalog import price_level
from arena.grammar import FIRST_NAME, Facts, format_date
from arena.hidden import COPY_FEATURES, OPEN_FEATURES, PHRASES, HiddenWorld

_OFFER = re.compile(
    r"\d+(?:\.\d+)?\s?%\s?off|save \d+(?:\.\d+)?\s?%|\$\d+(?:\.\d+)? off|save \$\d+"
    r"|free (?:shipping|delivery)|shipping is on us|get one free|for the price of one"
    r"|free gift|spend \$\d+",
    re.IGNORECASE,
)
_URGENCY = re.compile(
    r"\b(?:ends?|until|today only|tonight|hurry|last chance|hours? left|don't wait|expires?"
    r"|before it's gone|while stocks last)\b",
    re.IGNORECASE,
)
_EXCLUSIVE = re.compile(
    r"exclusive|just for you|only for you|\bmembers?\b|insiders?|\bvip\b|early access|private",
    re.IGNORECASE,
)
_SOCIAL = re.compile(
    r"loved by|rated \d|bestseller|best-seller|happy customers|customers love|reviews",
    re.IGNORECASE,
)
_CTA = re.compile(
    r"shop now|tap to|order (?:today|now)|claim|grab yours|see the collection|buy now|shop the"
    r"|check out now|\{link\}|https?://",
    re.IGNORECASE,
)
_KINDS = {
    "free_shipping": re.compile(r"free (?:shipping|delivery)|shipping is on us", re.IGNORECASE),
    "bogo": re.compile(
        r"get (?:one|a second|another)(?: \w+)? free|for the price of one", re.IGNORECASE
    ),
    "gift": re.compile(r"free gift", re.IGNORECASE),
}
"""Offers promised in words, by voucher type: promising one the voucher is not is wrong."""
_VAGUE = re.compile(r"great deals|\bsale\b|big savings|latest offers|\bdeals\b", re.IGNORECASE)
_SHOUT = re.compile(r"(?:\b[A-Z]{2,}\b[^a-z]*){4,}|!!")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
_MONEY = re.compile(r"\$(\d+(?:\.\d+)?)")
_CODE_STATED = re.compile(r"\bcode:?\s+([A-Za-z0-9_-]+)", re.IGNORECASE)
_PHRASES = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in PHRASES.items()}
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€")


@dataclass(frozen=True)
class Campaign:
    """A campaign as the scorer sees it: whose, what offer, which product at what price."""

    merchant_id: str
    facts: Facts
    price: float


@dataclass(frozen=True)
class Rates:
    """Expected rates per send along the funnel."""

    open: float
    click: float
    conversion: float

    @property
    def cvr(self) -> float:
        """Conversions per send."""
        return self.open * self.click * self.conversion


def sms_segments(text: str) -> int:
    """SMS parts the text needs: GSM-7 160 (153 per part), else UCS-2 70 (67 per part)."""
    if all(ch in _GSM7 or ch in _GSM7_EXT for ch in text):
        units = sum(2 if ch in _GSM7_EXT else 1 for ch in text)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return 1 if units <= 70 else math.ceil(units / 67)


def _has_emoji(text: str) -> bool:
    return any(ord(ch) >= 0x1F000 or 0x2600 <= ord(ch) <= 0x27BF for ch in text)


def wrong_offer(text: str, facts: Facts) -> bool:
    """Whether the text states an offer fact that contradicts the voucher."""
    percents = {float(m) for m in _PERCENT.findall(text)}
    allowed_percents = {facts.voucher_value} if facts.voucher_type == "percent_off" else set()
    if percents - allowed_percents:
        return True
    allowed_money = {facts.min_spend} if facts.min_spend is not None else set()
    if facts.voucher_type in {"amount_off", "threshold"}:
        allowed_money.add(facts.voucher_value)
    if {float(m) for m in _MONEY.findall(text)} - allowed_money:
        return True
    if any(p.search(text) for kind, p in _KINDS.items() if kind != facts.voucher_type):
        return True
    codes = set(_CODE_STATED.findall(text))
    if codes and codes != {facts.code}:
        return True
    if facts.expires is not None:
        stated = re.findall(r"\b(?:until|ends?|by)\s+([A-Z][a-z]{2} \d{1,2})\b", text)
        if any(day != format_date(facts.expires) for day in stated):
            return True
    return False


def detect(subject: str | None, body: str, facts: Facts) -> dict[str, float]:
    """The copy elements of a text, as the arena's customers perceive them."""
    text = body if subject is None else f"{subject}\n{body}"
    offer = _OFFER.search(body)
    offer_stated = offer is not None or (subject is not None and _OFFER.search(subject) is not None)
    return {
        "offer_stated": float(offer_stated),
        "offer_early": float(offer is not None and offer.start() < 40),
        "product_named": float(facts.product_name.lower() in text.lower()),
        "urgency": float(_URGENCY.search(text) is not None),
        "personalised": float(FIRST_NAME in text),
        "exclusivity": float(_EXCLUSIVE.search(text) is not None),
        "social_proof": float(_SOCIAL.search(text) is not None),
        "code_stated": float(facts.code is not None and facts.code in text),
        "cta": float(_CTA.search(text) is not None),
        "emoji": float(_has_emoji(text)),
        "question": float("?" in text),
        "shouting": float(_SHOUT.search(text) is not None),
        "vague_offer": float(not offer_stated and _VAGUE.search(text) is not None),
        "wrong_offer": float(wrong_offer(text, facts)),
    }


def phrases(subject: str | None, body: str) -> dict[str, float]:
    """The phrasings of a text that a contrarian world's customers respond to (the hook
    is read from the body's start, the rest from subject and body)."""
    text = body if subject is None else f"{subject}\n{body}"
    return {
        name: float(pattern.search(body if name.startswith("hook_") else text) is not None)
        for name, pattern in _PHRASES.items()
    }


def _drawn_effects(
    world: HiddenWorld,
    campaign: Campaign,
    subject: str | None,
    body: str,
    features: dict[str, float],
) -> float:
    """The click-logit shift from a world's drawn effects (none in a default world)."""
    facts = campaign.facts
    effects = world.effects
    shift = 0.0
    pair = f"{facts.segment}|{facts.channel}"
    for feature in COPY_FEATURES:
        if features[feature]:
            shift += effects.get(("channel", facts.channel, feature), 0.0)
            shift += effects.get(("segment_channel", pair, feature), 0.0)
    for phrase, present in phrases(subject, body).items():
        if present:
            shift += effects.get(("segment_phrase", facts.segment, phrase), 0.0)
            shift += effects.get(("merchant_phrase", campaign.merchant_id, phrase), 0.0)
    return shift


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def discount_depth(facts: Facts, price: float) -> float:
    """The share of the price the offer gives away, for price sensitivity."""
    if facts.voucher_type == "percent_off":
        return facts.voucher_value / 100
    if facts.voucher_type == "amount_off":
        return min(facts.voucher_value / price, 0.9)
    if facts.voucher_type == "threshold" and facts.min_spend:
        return facts.voucher_value / facts.min_spend
    return {"free_shipping": 0.08, "bogo": 0.35, "gift": 0.05}.get(facts.voucher_type, 0.0)


def expected_rates(world: HiddenWorld, campaign: Campaign, subject: str | None, body: str) -> Rates:
    """Expected open, click-through and conversion rates of a text in a campaign."""
    facts = campaign.facts
    features = detect(subject, body, facts)
    channel = world.channels[facts.channel]
    segment = world.segments[facts.segment]
    merchant = world.merchants[campaign.merchant_id]

    open_logit = _logit(merchant.base_open[facts.channel]) + segment.open_shift
    open_logit += sum(world.open_weights[f] * features[f] for f in OPEN_FEATURES)
    open_logit += channel.emoji_open * features["emoji"]
    if subject is not None and len(subject) > channel.subject_limit:
        open_logit -= channel.limit_penalty

    click_logit = _logit(merchant.base_click)
    for feature in COPY_FEATURES:
        weight = segment.weights[feature] + merchant.weights[feature]
        if feature == "emoji":
            weight += channel.emoji_click
        click_logit += weight * features[feature]
    if world.effects:
        click_logit += _drawn_effects(world, campaign, subject, body, features)
    click_logit -= (
        channel.length_curvature * math.log(max(len(body), 5) / channel.optimal_length) ** 2
    )
    if facts.channel == "sms":
        click_logit -= channel.limit_penalty * (sms_segments(body) - 1)
    elif len(body) > channel.body_limit:
        click_logit -= channel.limit_penalty

    conversion = merchant.base_conv
    conversion *= world.framing[(price_level(campaign.price), facts.voucher_type)]
    conversion *= math.exp(
        segment.price_sensitivity * (discount_depth(facts, campaign.price) - 0.15)
    )
    if features["wrong_offer"]:
        conversion *= world.wrong_offer_factor
    return Rates(_sigmoid(open_logit), _sigmoid(click_logit), min(conversion, 0.9))


def expected_cvr(world: HiddenWorld, campaign: Campaign, subject: str | None, body: str) -> float:
    """Expected conversions per send of a text in a campaign (no sampling noise)."""
    return expected_rates(world, campaign, subject, body).cvr
