"""The grounded copywriter: writes a message from a plan (features to use and avoid),
adapting an exemplar slot by slot, with no model.

An exemplar's sentences are sorted into slots (hook, offer, product, social proof,
exclusivity, urgency, code, call to action, opt-out). The hook and the call to action are
kept when they are clean and generic, the merchant's own social-proof and exclusivity lines
too; the offer, code and deadline are always rewritten from the voucher record, so no
number is ever copied from another campaign. Missing slots come from phrase banks, picked
by a seed drawn from the request, so that campaigns read differently but one request
always gets the same text.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.domain import CampaignRequest, Merchant, Purpose, TemplateText, VoucherType
from tools.message import purpose
from tools.message.channels import LIMITS, sms_count
from tools.message.features import CopyContext, copy_features, has_emoji, is_shouting, offer_early
from tools.message.offers import date_phrase, money, offer_fact_errors, stated_facts
from tools.message.rules import OPT_OUT, sender_of
from tools.message.text import sentences, tidy

NAME = "{first_name}"
LINK = "{link}"
_SHORT_HOOK = 28
"""A hook this short leaves room for the offer to be stated within the first 40 characters."""
QUIET_VOICES = frozenset({"premium", "minimal"})
"""Brand voices the writer keeps emoji and exclamation marks out of."""


@dataclass(frozen=True)
class WritePlan:
    """What the message should carry and avoid, most valuable first."""

    use: tuple[str, ...]
    avoid: frozenset[str] = frozenset()
    sms_segments: int = 1
    decided: frozenset[str] = frozenset()
    """The features evidence decided (the rest of ``use`` and ``avoid`` is best practice)."""

    def overrules(self, feature: str, helps: bool) -> bool:
        """Whether the plan went the other way on a feature that evidence says helps (or
        hurts): best practice stood against evidence too unsure to overturn it, or the
        feature is one a message always carries."""
        return feature in (self.avoid if helps else self.use)


@dataclass(frozen=True)
class Exemplar:
    """A text to adapt: the merchant's own (voice and claims reusable) or another's."""

    template_id: str
    text: str
    subject: str | None = None
    own: bool = False


@dataclass
class _Draft:
    hook: str = ""
    offer: str = ""
    product: str = ""
    extras: list[str] = field(default_factory=list)
    urgency: str = ""
    code: str = ""
    cta: str = ""
    emoji: str = ""
    opt_out: str = ""
    sender: str = ""
    """The sender an SMS names first."""
    offer_first: bool = True
    hook_after: bool = False
    """The opening follows the offer (when it would push the offer past 40 characters)."""

    def sentences(self) -> list[str]:
        return [
            self.hook,
            self.offer,
            self.product,
            *self.extras,
            self.urgency,
            self.code,
            self.cta,
        ]

    def body(self) -> str:
        lead = [self.hook, self.offer, self.product, *self.extras]
        if self.hook_after:
            lead = [self.offer, self.hook, self.product, *self.extras]
        elif not self.offer_first:
            lead = [self.hook, self.product, *self.extras, self.offer]
        text = " ".join(p for p in [*lead, self.urgency, self.code, self.cta] if p)
        if self.emoji:
            text = f"{text} {self.emoji}"
        if self.opt_out:
            text = f"{text} {self.opt_out}"
        if self.sender:
            text = f"{self.sender}: {text}"
        return tidy(text)


_LENGTH_FEATURES = frozenset({"long_copy", "short_copy"})


def _featured(features: dict[str, bool]) -> bool:
    """Whether a sentence carries a copy feature (its length aside)."""
    return any(v for f, v in features.items() if f not in _LENGTH_FEATURES)


_OPT_OUT_TALK = re.compile(r"\bstop\b|\bopt[- ]?out\b|\bunsubscribe", re.IGNORECASE)
"""How to stop the messages: an SMS rule, never a room-filler."""
_STOCK_NEWS = re.compile(
    r"\b(?:back in stock|restocked|(?:just|has|have) (?:landed|arrived|dropped)|sold out|"
    r"selling fast|low (?:in )?stock|limited stock|while stocks? lasts?)\b",
    re.IGNORECASE,
)
"""News of the stock on the day a message went out (``Writer._stale``)."""
_PROPER_NAME = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+")
"""Two capitalised words past a sentence's first letter: a product's or a brand's name."""

# -- phrase banks ---------------------------------------------------------------------------

# The agent's own openings (the arena's grammar has its own; they share no phrase bank).
_HOOKS: dict[str, tuple[str, ...]] = {
    "lapsed_30d": (
        "We've kept your spot{name}.",
        "It's been a little while{name}.",
        "Nice to see you again soon{name}.",
    ),
    "lapsed_90d": (
        "We've missed having you around{name}.",
        "It's been too long{name}.",
        "Welcome back{name}!",
    ),
    "vip": (
        "You're one of our very best{name}.",
        "A thank-you for our best customers{name}.",
        "First in line, as always{name}.",
    ),
    "cart_abandoner": (
        "Your basket is still here{name}.",
        "You were so close{name}!",
        "We held on to your basket{name}.",
    ),
    "birthday": (
        "Happy birthday{name}!",
        "Cheers to your birthday{name}!",
        "A birthday treat for you{name}.",
    ),
    "new_customer": (
        "Welcome aboard{name}!",
        "So glad you joined{name}.",
        "Your first order starts here{name}.",
    ),
    "deal_seeker": (
        "This one is worth a look{name}.",
        "A deal just for you{name}.",
        "Good timing{name}!",
    ),
    "repeat_buyer": (
        "Here's to your next order{name}.",
        "Great to see you again{name}.",
        "Time for your next one{name}.",
    ),
}
_GREETING_HOOK = ("Hi{name}!",)
"""The opening of a segment with none of its own: a greeting by name, or nothing (a line
that says nothing, such as "Something special.", would read the same for every shop)."""
_QUESTION_HOOKS: dict[str, tuple[str, ...]] = {
    "cart_abandoner": ("Still deciding{name}?", "Did something distract you{name}?"),
    "lapsed_30d": ("Looking for something new{name}?",),
    "lapsed_90d": ("Shall we pick up where we left off{name}?", "Miss us too{name}?"),
    "birthday": ("How about a birthday treat{name}?",),
    "repeat_buyer": ("Time to restock{name}?", "Back for more{name}?"),
    "new_customer": ("Ready for your first order{name}?",),
    "vip": ("Want first pick{name}?",),
    "deal_seeker": ("Up for a good deal{name}?",),
}
_OFFER_LINES: dict[VoucherType, tuple[str, ...]] = {
    VoucherType.PERCENT_OFF: (
        "Take {v}% off {target}{spend}.",
        "Enjoy {v}% off {target}{spend}.",
        "Save {v}% on {target}{spend}.",
        "Here's {v}% off {target}{spend}.",
    ),
    VoucherType.AMOUNT_OFF: (
        "Take {v} off {target}{spend}.",
        "Save {v} on {target}{spend}.",
        "Here's {v} off {target}{spend}.",
    ),
    VoucherType.FREE_SHIPPING: (
        "Get free shipping on {target}{spend}.",
        "Enjoy free delivery on {target}{spend}.",
        "Shipping is on us for {target}{spend}.",
    ),
    VoucherType.BOGO: ("Buy one {product}, get one free.", "Buy one, get one free on {target}."),
    VoucherType.GIFT: (
        "Get a free gift with {target}.",
        "A free gift comes with {target}.",
        "Pick up a free gift with {target}.",
    ),
    VoucherType.THRESHOLD: (
        "Spend {m} and save {v} on {target}.",
        "Take {v} off {target} when you spend {m}.",
        "Save {v} on {target} when you spend {m} or more.",
    ),
}
_PRODUCT_LINES = (
    "{Target} is waiting for you.",
    "Meet {target}.",
    "Take a closer look at {target}.",
    "Have you seen {target}?",
)
_EXCLUSIVE_LINES: dict[str, tuple[str, ...]] = {
    "vip": (
        "Reserved for our best customers.",
        "Just for you, as one of our VIPs.",
        "An exclusive offer for our VIPs.",
    ),
    "": ("Just for you.", "An exclusive offer for you.", "Reserved for our members."),
}
_URGENT_DATED = ("Only until {date}.", "Valid until {date}.", "It ends {date}.")
_URGENT_UNDATED = ("Don't wait too long.", "Don't wait on this one.")
"""A reason to act now without a deadline or a stock level the voucher does not give."""
_CODE_LINES = (
    "Use code {code} at checkout.",
    "Your code: {code}.",
    "Just enter {code} at checkout.",
)
_CTA_LINES = (
    "Shop now: {link}",
    "Tap to shop: {link}",
    "Find yours at {link}",
    "Order today: {link}",
    "See it here: {link}",
)
_EMOJI: dict[str, tuple[str, ...]] = {
    "birthday": ("🎂", "🎉"),
    "cart_abandoner": ("🛒",),
    "vip": ("✨",),
    "new_customer": ("👋",),
    "": ("🎁", "✨", "🛍️"),
}


def request_seed(request: CampaignRequest) -> int:
    """A stable seed per request: the same request, the same phrasing."""
    key = "|".join(
        [
            request.merchant_id,
            request.segment,
            request.channel,
            request.product_name or "",
            request.voucher.model_dump_json() if request.voucher else "",
            request.purpose or "",
            request.original_template or "",
        ]
    )
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def _target(product: str) -> str:
    return product if product.lower().startswith("the ") else f"the {product}"


_PURPOSE_LINES: dict[Purpose, tuple[str, ...]] = {
    # What a message with no offer says instead, from the request's facts alone.
    Purpose.BACK_IN_STOCK: ("{Target} is back in stock.", "Good news: {target} is back."),
    Purpose.NEW_ARRIVALS: ("Just in: {new}.", "Meet {new}."),
    Purpose.PRICE_DROP: ("{Target} just dropped in price.", "A lower price on {target}."),
    Purpose.CART_REMINDER: ("Your basket is still waiting for you.", "You left {target} behind."),
    Purpose.LOYALTY: ("Your rewards are waiting for you.", "Your points are ready to use."),
    Purpose.BIRTHDAY: ("Happy birthday from all of us.",),
    Purpose.WINBACK: ("It's been a while. Come see what's new.",),
    Purpose.ANNOUNCEMENT: ("We have news to share.",),
    Purpose.PROMOTION: ("Take a look at {target}.",),
}


def _with_name(hook: str, personalised: bool) -> str:
    """Put ``{first_name}`` into a hook (before its closing mark) or take it out."""
    bare = re.sub(r",?\s*\{first_name\},?", "", hook).strip()
    bare = re.sub(r"\s+([!?.])", r"\1", bare)
    if not personalised:
        return bare[:1].upper() + bare[1:]
    match = re.search(r"[!?.]+$", bare)
    end = match.group(0) if match else "."
    core = bare[: match.start()] if match else bare
    return f"{core}, {NAME}{end}"


def _greeting(offer: str) -> str:
    """The offer line opened with the customer's name."""
    return f"{NAME}, {offer[:1].lower()}{offer[1:]}"


_UNNAMING = (
    (" off {target} on orders", " off orders"),
    (" off {target}", " off"),
    (" on {target}", ""),
    (" for {target}", ""),
    (" with {target}", " with your order"),
    ("one {product},", "one,"),
)
"""How each offer line names the product, and what it says without it."""


def _unnamed(offer: str, product: str) -> str:
    """The offer line without the product's name, the offer itself untouched ("Take $15 off
    the Summit Tent when you spend $100." -> "Take $15 off when you spend $100.")."""
    for pattern, bare in _UNNAMING:
        named = pattern.format(target=_target(product), product=product) if product else ""
        if not named:
            return offer
        if named in offer:
            return offer.replace(named, bare, 1)
    return offer


def _without_opening(draft: _Draft, use: set[str], keep: set[str]) -> _Draft:
    """Room for a planned feature that does not fit: the opening line goes when it carries
    nothing planned but the name (which moves into the offer line), or nothing in ``keep``
    (what of ``use`` is worth more than the feature it makes room for)."""
    asks = "question" in keep and "?" in draft.hook
    if not draft.hook or asks or not draft.offer:
        return draft
    greet = "personalised" in use and NAME not in draft.offer
    offer = _greeting(draft.offer) if greet else draft.offer
    return _Draft(**{**draft.__dict__, "hook": "", "offer": offer, "hook_after": False})


_VOICE_READINGS: dict[tuple[object, ...], tuple[tuple[str, ...], str]] = {}
"""What ``Writer._from_voice`` read, by past texts, channel, product and merchant rules."""


class Writer:
    """Writes one message for a request from a plan and an optional exemplar."""

    def __init__(
        self,
        request: CampaignRequest,
        merchant: Merchant,
        canonical: str | None,
        seed: int | None = None,
        voice: Sequence[str] = (),
    ) -> None:
        self.request = request
        self.merchant = merchant
        self.voice = tuple(voice)
        """The merchant's own past texts, best first: where its plain sentences come from
        when a message needs room and its current text and exemplar have too few."""
        self.segment = canonical or ""
        self.rng = random.Random(request_seed(request) if seed is None else seed)
        self._forbidden = [
            re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.I) for w in merchant.forbidden_words
        ]
        # What an exemplar offers (its opening, its reusable lines), read once per writer.
        self._openings: dict[tuple[Exemplar, bool], str] = {}
        self._lines: dict[Exemplar, dict[str, str]] = {}
        self._plain: dict[Exemplar | None, list[str]] = {}

    # -- choosing phrasings -----------------------------------------------------------------

    def _allowed(self, sentence: str) -> bool:
        return not any(p.search(sentence) for p in self._forbidden)

    def _pick(self, options: Sequence[str], taken: Sequence[str] = (), **values: str) -> str:
        """A phrasing the merchant allows, varied by the request's seed, preferring one that
        does not open with the same word as a sentence already ``taken``."""
        start = self.rng.randrange(len(options))
        openers = {t.split(" ", 1)[0].lower() for t in taken if t}
        fallback = ""
        for i in range(len(options)):
            sentence = options[(start + i) % len(options)].format(**values)
            if not self._allowed(sentence):
                continue
            if sentence.split(" ", 1)[0].lower() not in openers:
                return sentence
            fallback = fallback or sentence
        return fallback

    def _voice(self, sentence: str) -> str:
        if self.merchant.brand_voice in QUIET_VOICES:
            return sentence.replace("!", ".")
        return sentence

    # -- slots ------------------------------------------------------------------------------

    def offer_line(self) -> str:
        """The offer, stated from the voucher record; with no voucher, what the message is
        for ("The Trail Runner X is back in stock.")."""
        voucher = self.request.voucher
        target = purpose.target(self.request)
        if voucher is None:
            new = target if self.request.product_name else f"new {target.removeprefix('our ')}"
            if new == "new everything":
                new = "our new arrivals"
            return self._pick(
                _PURPOSE_LINES[purpose.purpose_of(self.request, self.segment)],
                target=target,
                Target=target[:1].upper() + target[1:],
                new=new,
            )
        spend = (
            f" on orders over {money(voucher.min_spend)}"
            if voucher.min_spend is not None
            and voucher.type
            in {VoucherType.PERCENT_OFF, VoucherType.AMOUNT_OFF, VoucherType.FREE_SHIPPING}
            else ""
        )
        value = (
            f"{voucher.value:g}"
            if voucher.type is VoucherType.PERCENT_OFF
            else money(voucher.value)
        )
        return self._pick(
            _OFFER_LINES[voucher.type],
            v=value,
            target=target,
            product=self.request.product_name or "",
            spend=spend,
            m=money(voucher.min_spend) if voucher.min_spend is not None else "",
        )

    def _hook(self, plan: WritePlan, exemplar: Exemplar | None) -> str:
        personalised = "personalised" in plan.use
        if exemplar is not None:
            reused = self._reusable_hook(exemplar, plan)
            if reused:
                return self._voice(_with_name(reused, personalised))
        if "question" in plan.use:
            options = _QUESTION_HOOKS.get(self.segment, ("Ready for something new{name}?",))
        else:
            options = _HOOKS.get(self.segment, ()) or (_GREETING_HOOK if personalised else ())
        if not options:
            return ""
        hook = self._pick(
            options,
            name=f" {NAME}" if options == _GREETING_HOOK else (f", {NAME}" if personalised else ""),
        )
        return self._voice(hook)

    def _short_hook(self, plan: WritePlan) -> str:
        """A hook short enough for the offer to be stated within the first 40 characters."""
        name = f", {NAME}" if "personalised" in plan.use else ""
        pool = (
            _QUESTION_HOOKS.get(self.segment, ())
            if "question" in plan.use
            else _HOOKS.get(self.segment, ())
        )
        short = [h for h in pool if len(h.format(name=name)) < _SHORT_HOOK]
        return self._voice(self._pick(short, name=name)) if short else ""

    def _reusable_hook(self, exemplar: Exemplar, plan: WritePlan) -> str:
        """The exemplar's opening line, if it is generic enough to carry over."""
        key = (exemplar, "question" in plan.use)
        if key not in self._openings:
            self._openings[key] = self._opening(exemplar, plan)
        return self._openings[key]

    def _opening(self, exemplar: Exemplar, plan: WritePlan) -> str:
        parts = sentences(exemplar.text)
        if not parts:
            return ""
        first = parts[0]
        facts = stated_facts(first)
        context = CopyContext(self.request.channel, self.request.product_name or "")
        features = copy_features(first, None, context)
        checks = (
            len(first) > 60,
            any(ch.isdigit() for ch in first),
            bool(facts.kinds),
            features["offer_stated"] or features["cta"] or features["urgency"],
            is_shouting(first) or has_emoji(first),
            bool(re.sub(r"\{first_name\}", "", first).count("{")),
            ("?" in first) != ("question" in plan.use),
            not self._allowed(first),
            self._names_another(first),
            self._stale(first),
        )
        unsafe = any(checks)
        return "" if unsafe else first

    def _extras(self, plan: WritePlan, exemplar: Exemplar | None) -> dict[str, str]:
        own = {} if exemplar is None or not exemplar.own else self.own_lines(exemplar)
        lines: dict[str, str] = {}
        if "social_proof" in plan.use:
            # Only a claim the merchant has made itself: what customers think of a product is
            # not the agent's to say (the guidance asks the merchant for one instead).
            claim = own.get("social_proof") or self._from_voice()[1]
            if claim:
                lines["social_proof"] = claim
        if "exclusivity" in plan.use:
            options = _EXCLUSIVE_LINES.get(self.segment, _EXCLUSIVE_LINES[""])
            lines["exclusivity"] = own.get("exclusivity") or self._pick(options)
        if "product_named" in plan.use:
            lines["product_named"] = self._product_line()
        return lines

    def own_lines(self, exemplar: Exemplar) -> dict[str, str]:
        """The merchant's own social-proof and exclusivity lines, safe to reuse."""
        if exemplar not in self._lines:
            self._lines[exemplar] = self._reusable_lines(sentences(exemplar.text)[1:])
        return self._lines[exemplar]

    def _reusable_lines(self, candidates: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        context = CopyContext(self.request.channel, self.request.product_name or "")
        for sentence in candidates:
            features = copy_features(sentence, None, context)
            if (
                not self._reusable(sentence)
                or features["offer_stated"]
                or features["cta"]
                or features["urgency"]
                or len(sentence) > 80
            ):
                continue
            for feature in ("social_proof", "exclusivity"):
                if features[feature] and feature not in found:
                    found[feature] = sentence
        return found

    def _plain_lines(self, exemplar: Exemplar | None) -> list[str]:
        """Sentences of the merchant's own (its current text, its own exemplar, its past
        texts) that carry no copy feature, no number and no placeholder: room-fillers in its
        own voice; then the writer's courtesy lines."""
        key = exemplar if exemplar is not None and exemplar.own else None
        if key not in self._plain:
            self._plain[key] = self._room_fillers(key)
        return self._plain[key]

    def _room_fillers(self, own: Exemplar | None) -> list[str]:
        texts = [self.request.original_template or "", *([own.text] if own is not None else [])]
        found = self._fillers_in(texts)
        found += [line for line in self._from_voice()[0] if line not in found]
        return found

    def _from_voice(self) -> tuple[tuple[str, ...], str]:
        """The plain lines and the first social-proof claim in the merchant's past texts:
        the same for every writer of the merchant and product, so read once for them all."""
        merchant = self.merchant
        key = (
            self.voice,
            self.request.channel,
            self.request.product_name,
            merchant.forbidden_words,
            merchant.brand_voice,
        )
        found = _VOICE_READINGS.get(key)
        if found is None:
            claims = (self._reusable_lines(sentences(t)).get("social_proof") for t in self.voice)
            found = (tuple(self._fillers_in(self.voice)), next((c for c in claims if c), ""))
            if len(_VOICE_READINGS) >= 4096:
                _VOICE_READINGS.clear()
            _VOICE_READINGS[key] = found
        return found

    def _fillers_in(self, texts: Sequence[str]) -> list[str]:
        context = CopyContext(self.request.channel, self.request.product_name or "")
        found: list[str] = []
        for sentence in (s for text in texts for s in sentences(text)):
            if (
                not _featured(copy_features(sentence, None, context))
                and self._reusable(sentence)
                and 20 <= len(sentence) <= 140
                and sentence[-1] in ".!"
                and not any(ch in "$%@/" for ch in sentence)
                and not re.search(r"\w\.\w", sentence)  # a domain, a file name
                and not stated_facts(sentence).kinds
                and (voiced := self._voice(sentence)) not in found
            ):
                found.append(voiced)
        return found

    def _reusable(self, sentence: str) -> bool:
        """Whether a sentence of the merchant's may carry over at all: no number (offers
        and dates are written from the voucher), no placeholder, no opt-out instruction (the
        writer adds the one a channel needs), no stale news of the stock, no shouting, no
        other product's name, no word the merchant forbids."""
        return (
            not any(ch.isdigit() for ch in sentence)
            and "{" not in sentence
            and "}" not in sentence
            and not _OPT_OUT_TALK.search(sentence)
            and not self._stale(sentence)
            and not is_shouting(sentence)
            and not self._names_another(sentence)
            and self._allowed(sentence)
        )

    def _stale(self, sentence: str) -> bool:
        """News of the stock from a past message ("back in stock"): true the day it was
        sent, not known now. The campaign's current text may say it: that is today's."""
        return bool(_STOCK_NEWS.search(sentence)) and sentence not in (
            self.request.original_template or ""
        )

    def _names_another(self, sentence: str) -> bool:
        """Whether a sentence names a product or brand other than this campaign's and the
        merchant's: a past line about another product ("The Luna Yoga Mat just landed") was
        true of that product, and another merchant's names are its own."""
        for name in (self.request.product_name, self.merchant.name):
            if name:
                sentence = sentence.replace(name, "")
        return bool(_PROPER_NAME.search(sentence[1:]))

    def code_line(self, code: str, taken: Sequence[str] = ()) -> str:
        """The voucher's code, spelled out."""
        return self._pick(_CODE_LINES, taken=taken, code=code)

    def _product_line(self) -> str:
        target = purpose.target(self.request)
        return self._pick(_PRODUCT_LINES, target=target, Target=target[:1].upper() + target[1:])

    def cta_line(self, exemplar: Exemplar | None = None) -> str:
        """A call to action with the link: the exemplar's own when it is short and clean."""
        if exemplar is not None:
            for sentence in reversed(sentences(exemplar.text)):
                if (
                    LINK in sentence
                    and len(sentence) <= 40
                    and not any(ch.isdigit() for ch in sentence)
                    and self._allowed(sentence)
                ):
                    core = sentence.split(LINK)[0].rstrip(" :,-")
                    if (
                        core
                        and sentence.endswith(LINK)
                        and not re.search(r"\d|%|\$|code", core, re.I)
                    ):
                        return sentence
        return self._pick(_CTA_LINES, link=LINK)

    def urgency_line(self, taken: Sequence[str] = ()) -> str:
        """A reason to act now: the voucher's end date, else a nudge with no deadline."""
        expires = self.request.voucher.expires if self.request.voucher else None
        if expires is not None:
            return self._pick(_URGENT_DATED, taken, date=date_phrase(expires))
        return self._pick(_URGENT_UNDATED, taken)

    def emoji(self) -> str:
        """One emoji that suits the segment."""
        return self.rng.choice(_EMOJI.get(self.segment, _EMOJI[""]))

    # -- assembly ---------------------------------------------------------------------------

    def write(self, plan: WritePlan, exemplar: Exemplar | None = None) -> TemplateText:
        """A message carrying the plan's features, within the channel's limits."""
        channel = self.request.channel
        use = set(plan.use) - plan.avoid
        draft = _Draft(
            hook=self._hook(plan, exemplar),
            offer=self.offer_line() if "vague_offer" not in use else "",
            offer_first="offer_early" in use or "offer_early" not in plan.avoid,
            cta=self.cta_line(exemplar) if "cta" in use else "",
            opt_out=OPT_OUT if channel == "sms" else "",
            sender=sender_of(self.merchant, self.request) if channel == "sms" else "",
        )
        if "offer_early" in use and not offer_early(draft.body()):
            short = self._short_hook(plan)
            if short and offer_early(f"{short} {draft.offer}"):
                draft.hook = short
            else:
                # No opening fits before the offer: greet inside the offer, open after it.
                if "personalised" in use and draft.offer:
                    draft.offer = _greeting(draft.offer)
                    draft.hook = _with_name(draft.hook, personalised=False)
                draft.hook_after = True
        if self.merchant.brand_voice in QUIET_VOICES:
            use.discard("emoji")
        optional = [f for f in plan.use if f in use]  # most valuable first
        extras = self._extras(plan, exemplar)
        limit_low, limit_high = LIMITS[channel].ideal_body_chars
        budget = limit_high if "long_copy" not in use else LIMITS[channel].body_chars
        code = self.request.voucher.code if self.request.voucher else None
        for rank, feature in enumerate(optional):
            above = set(optional[:rank])
            trial = _Draft(**{**draft.__dict__, "extras": list(draft.extras)})
            if feature == "product_named" and purpose.target(self.request).lower() in (
                draft.offer.lower()
            ):
                continue  # the offer names it already
            if feature in {"social_proof", "exclusivity", "product_named"} and feature in extras:
                trial.extras.append(extras[feature])
            elif feature == "urgency":
                trial.urgency = self.urgency_line(taken=trial.sentences())
            elif feature == "code_stated" and code:
                trial.code = self.code_line(code, trial.sentences())
            elif feature == "emoji":
                trial.emoji = self.emoji()
            elif feature == "short_copy":
                # Short copy converts here: what is less valuable must fit under the middle.
                budget = LIMITS[channel].middle_body_chars - 1
                if not self._fits(draft.body(), plan, budget):
                    draft = _without_opening(draft, use, above)
                continue
            else:
                continue
            if not self._fits(trial.body(), plan, budget):
                trial = _without_opening(trial, use, above)
            if not self._fits(trial.body(), plan, budget) and "product_named" in use - above:
                # Naming the product is planned below this feature: the offer line lets it go.
                trial.offer = _unnamed(trial.offer, self.request.product_name or "")
            if self._fits(trial.body(), plan, budget):
                draft = trial
        # Over the channel's limit: shed optional parts until the offer, the link and the
        # opt-out fit (the rule check would refuse it otherwise).
        for trim in ("extras", "emoji", "product", "urgency", "code", "opening", "hook"):
            if self._fits(draft.body(), plan, LIMITS[channel].body_chars):
                break
            if trim == "opening":  # the name, if planned, stays in the offer line
                draft = _without_opening(draft, use, use)
            else:
                setattr(draft, trim, [] if trim == "extras" else "")
        named = purpose.target(self.request).lower() in draft.body().lower()
        if len(draft.body()) < limit_low and "long_copy" not in plan.avoid and not named:
            longer = _Draft(**{**draft.__dict__, "product": self._product_line()})
            if self._fits(longer.body(), plan, budget):
                draft = longer
        if "short_copy" in plan.avoid:
            # Short copy underperforms here: give it room with the merchant's own plain lines
            # (no offer, no claim of a feature, nothing of another merchant's).
            middle = LIMITS[channel].middle_body_chars
            for line in self._plain_lines(exemplar):
                if len(draft.body()) >= middle:
                    break
                if line.lower() in draft.body().lower():
                    continue
                longer = _Draft(**{**draft.__dict__, "extras": [*draft.extras, line]})
                if self._fits(longer.body(), plan, budget):
                    draft = longer
        body = draft.body()
        subject = self._subject(draft) if channel in {"email", "push"} else None
        return TemplateText(subject=subject, body=body)

    def _fits(self, body: str, plan: WritePlan, budget: int) -> bool:
        if self.request.channel == "sms":
            return sms_count(body).segments <= plan.sms_segments
        return len(body) <= budget

    def _subject(self, draft: _Draft) -> str:
        limit = LIMITS[self.request.channel].subject_chars or 50
        voucher = self.request.voucher
        candidates = []
        if draft.offer and voucher is None:
            candidates.append(draft.offer.rstrip("."))
        elif draft.offer and voucher is not None:
            target = purpose.target(self.request)
            value = money(voucher.value)
            candidates += {
                VoucherType.PERCENT_OFF: [
                    f"{voucher.value:g}% off {target}",
                    f"{voucher.value:g}% off for you",
                ],
                VoucherType.AMOUNT_OFF: [f"{value} off {target}", f"{value} off for you"],
                VoucherType.FREE_SHIPPING: [f"Free shipping on {target}", "Free shipping for you"],
                VoucherType.BOGO: ["Buy one, get one free"],
                VoucherType.GIFT: [f"A free gift with {target}", "A free gift for you"],
                VoucherType.THRESHOLD: [f"Spend {money(voucher.min_spend or 0)}, save {value}"],
            }[voucher.type]
        candidates.append(draft.hook.rstrip("."))
        for candidate in candidates:
            candidate = candidate[:1].upper() + candidate[1:]
            if (
                len(candidate) <= limit
                and self._allowed(candidate)
                and not offer_fact_errors(candidate, voucher)
            ):
                return candidate
        return draft.hook[:limit].rstrip(" ,.")
