"""Copy features: what a message does, read from its text.

These are the agent's own definitions (the arena reads copy with a detector of its own).
Each feature is a yes/no property a merchant can act on; ``FEATURES`` describes them in the
words the guidance uses.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tools.domain import CampaignRequest, Pattern, TemplateText
from tools.message.channels import LIMITS
from tools.message.offers import OFFER_PHRASE
from tools.statistics import certainty

FEATURES: dict[str, str] = {
    "offer_stated": "states the offer concretely (the discount, free shipping, the gift)",
    "offer_early": "states the whole offer in the first 40 characters",
    "product_named": "names the product",
    "urgency": "gives a reason to act now (an end date, a deadline)",
    "personalised": "greets the customer by name ({first_name})",
    "exclusivity": "makes the customer feel singled out (members, just for you, early access)",
    "social_proof": "cites other customers (bestseller, loved by, ratings)",
    "code_stated": "spells out the voucher code",
    "cta": "ends with a clear call to action and link",
    "emoji": "uses an emoji",
    "question": "asks a question",
    "shouting": "shouts (runs of capitals or !!!)",
    "vague_offer": "talks of deals or a sale without saying what the offer is",
    "long_copy": "runs longer than the channel's sweet spot",
    "short_copy": "stays under the middle of the channel's sweet spot (a line or two in an e-mail)",
}

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_URGENCY = re.compile(
    r"\b(?:until|ends?|ending|expires?|last (?:chance|day)|today only|tonight|hurry|"
    r"hours? left|don't wait|do not wait|before it's gone|while (?:it|stocks|supplies) lasts?|"
    r"limited time|final)\b",
    re.IGNORECASE,
)
_EXCLUSIVE = re.compile(
    r"\bexclusive|\bjust for you|\bonly for you|\bmembers?\b|\binsiders?\b|\bvips?\b|"
    r"\bearly access|\bprivate\b|\breserved for\b|\bhand-?picked for you",
    re.IGNORECASE,
)
_SOCIAL = re.compile(
    r"\bloved by|\brated \d|\bbest-?sellers?|\bhappy customers|\bcustomers love|\breviews?\b|"
    r"\bcustomer favou?rites?|\bfavou?rite with|\bthousands of\b|\bmost popular",
    re.IGNORECASE,
)
_CTA = re.compile(
    r"\b(?:shop|buy|order|claim|grab|get yours|tap|click|discover|explore|see|find|"
    r"check out|book|redeem|complete your order)\b[^.!?]{0,30}(?:\{link\}|now|today|here|"
    r"yours|below)|\{link\}|https?://",
    re.IGNORECASE,
)
_VAGUE = re.compile(
    r"\bgreat deals|\bsales?\b|\bbig savings|\blatest offers|\bdeals\b", re.IGNORECASE
)
_CAPS_RUN = re.compile(r"(?:\b[A-Z]{2,}\b[^a-z]{0,3}){3,}")


def _symbol_class() -> str:
    """A regex character class of the pictographs: the emoji blocks, and every other
    character Unicode files as an "other symbol" (So), as ranges."""
    codes = {c for c in range(0x1F000) if unicodedata.category(chr(c)) == "So"}
    ranges: list[list[int]] = []
    for code in sorted(codes | set(range(0x2600, 0x27C0))):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = [f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges]
    return "[" + "".join(parts) + "\U0001f000-\U0010ffff]"


_PICTOGRAPH = re.compile(_symbol_class())


def has_emoji(text: str) -> bool:
    """Whether the text holds a pictographic character (emoji and similar symbols)."""
    return _PICTOGRAPH.search(text) is not None


def is_shouting(text: str, code: str | None = None) -> bool:
    """Runs of capitals (codes and STOP excepted) or repeated exclamation marks."""
    cleaned = text.replace(code, "") if code else text
    cleaned = re.sub(r"\bSTOP\b", "", cleaned)
    return bool(_CAPS_RUN.search(cleaned)) or "!!" in text


@dataclass(frozen=True)
class CopyContext:
    """What the features are read against: the campaign's product, code and channel."""

    channel: str
    product_name: str = ""
    code: str | None = None


def offer_early(body: str) -> bool:
    """Whether the body has stated the offer by its 40th character (the whole phrase: "Buy
    one, get one free" is read by its last word)."""
    return _stated_early(OFFER_PHRASE.search(body))


def _stated_early(offer: re.Match[str] | None) -> bool:
    return offer is not None and offer.end() <= 40


def copy_features(body: str, subject: str | None, context: CopyContext) -> dict[str, bool]:
    """The features of a message (subject and body read together, position from the body).
    A request reads the same drafts several times (drafting, the rule check, guidance,
    scores), so recent readings are kept."""
    return dict(_read(body, subject, context))


@functools.lru_cache(maxsize=4096)
def _read(body: str, subject: str | None, context: CopyContext) -> dict[str, bool]:
    text = body if not subject else f"{subject}\n{body}"
    offer = OFFER_PHRASE.search(body)
    offer_stated = offer is not None or bool(subject and OFFER_PHRASE.search(subject))
    limits = LIMITS[context.channel]
    product = context.product_name.lower()
    return {
        "offer_stated": offer_stated,
        "offer_early": _stated_early(offer),
        "product_named": bool(product) and product in text.lower(),
        "urgency": _URGENCY.search(text) is not None,
        "personalised": "{first_name}" in text,
        "exclusivity": _EXCLUSIVE.search(text) is not None,
        "social_proof": _SOCIAL.search(text) is not None,
        "code_stated": context.code is not None and context.code in text,
        "cta": _CTA.search(text) is not None,
        "emoji": has_emoji(text),
        "question": "?" in text,
        "shouting": is_shouting(text, context.code),
        "vague_offer": not offer_stated and _VAGUE.search(text) is not None,
        "long_copy": len(body) > limits.ideal_body_chars[1],
        "short_copy": len(body) < limits.middle_body_chars,
    }


def template_features(template: TemplateText, request: CampaignRequest) -> dict[str, bool]:
    """The copy features of a template written for a request."""
    code = request.voucher.code if request.voucher else None
    context = CopyContext(request.channel.value, request.product_name or "", code)
    return copy_features(template.body, template.subject, context)


def feature_of(pattern: Pattern) -> str:
    """The copy feature a pattern is about."""
    return pattern.name.removeprefix("avoid_")


def pattern_weights(
    patterns: Sequence[Pattern], overrules: Callable[[str, bool], bool] | None = None
) -> list[tuple[str, float]]:
    """Each pattern's feature and what carrying it is worth: its log lift weighted by how
    sure it is (an avoided feature's is negative). A pattern ``overrules`` says a plan went
    the other way on counts for nothing."""
    return [
        (feature_of(p), certainty(p.confidence) * math.log(p.lift))
        for p in patterns
        if p.lift > 0 and not (overrules and overrules(feature_of(p), p.lift >= 1))
    ]


def weighed(
    template: TemplateText, request: CampaignRequest, weights: Sequence[tuple[str, float]]
) -> float:
    """What the patterns predict for a template: the weights of the features it carries
    (only differences between texts for one request mean anything)."""
    features = template_features(template, request)
    return sum(weight for feature, weight in weights if features.get(feature, False))
