"""The phrase grammar that writes the arena's template texts.

A ``CopyPlan`` says which copy elements a text carries (hook, offer statement and where,
product mention, urgency, personalisation token, social proof, exclusivity, code, call to
action, emoji, question) and which mistakes a merchant made (vague offer, wrong discount,
shouting capitals, filler that makes it too long). ``write`` realises a plan with one of
many phrasings per element, so that two merchants with the same plan rarely send the same
words. ``draw_plan`` picks a plan in one of several house styles.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

OfferPlacement = Literal["early", "late", "vague", "none"]

STYLES: tuple[str, ...] = ("plain", "urgent", "premium", "playful", "minimal", "wordy")

FIRST_NAME = "{first_name}"
LINK = "{link}"


@dataclass(frozen=True)
class Facts:
    """What a text is about: the campaign's offer, product and channel."""

    segment: str
    channel: str
    product_name: str
    voucher_type: str
    voucher_value: float
    min_spend: float | None
    expires: date | None
    code: str | None


@dataclass(frozen=True)
class CopyPlan:
    """Which elements (and mistakes) a text carries."""

    offer: OfferPlacement
    personalised: bool
    product: bool
    urgency: bool
    exclusivity: bool
    social_proof: bool
    code: bool
    cta: bool
    emoji: bool
    question: bool
    opt_out: bool
    shouting: bool = False
    wrong_offer: bool = False
    filler: int = 0


# -- phrasings ------------------------------------------------------------------------------

_HOOKS: dict[str, tuple[str, ...]] = {
    "lapsed_30d": ("We miss you{name}!", "It's been a few weeks{name}.", "Come back soon{name}!"),
    "lapsed_90d": (
        "We miss you{name}!",
        "It's been a while{name}.",
        "Long time no see{name}!",
        "We've missed you{name}.",
    ),
    "vip": (
        "Thank you for being one of our best customers{name}.",
        "You're on our VIP list{name}.",
        "A thank-you for you{name}.",
    ),
    "cart_abandoner": (
        "You left something behind{name}.",
        "Your cart misses you{name}.",
        "We saved your cart{name}.",
    ),
    "birthday": (
        "Happy birthday{name}!",
        "It's your birthday month{name}!",
        "Birthday wishes from all of us{name}!",
    ),
    "new_customer": (
        "Welcome{name}!",
        "Thanks for joining us{name}!",
        "Great to have you here{name}.",
    ),
    "deal_seeker": ("Deal alert{name}!", "Savings ahead{name}.", "This one's worth it{name}."),
    "repeat_buyer": (
        "Thanks for coming back{name}.",
        "Good to see you again{name}!",
        "Time for a top-up{name}?",
    ),
}
_GENERIC_HOOKS = ("Good news{name}!", "Fresh picks for you{name}.", "Hi{name}!")
_QUESTION_HOOKS: dict[str, tuple[str, ...]] = {
    "cart_abandoner": ("Still thinking it over{name}?", "Forgot something{name}?"),
    "lapsed_30d": ("Ready for something new{name}?",),
    "lapsed_90d": ("Ready to come back{name}?", "Where have you been{name}?"),
    "birthday": ("Ready to celebrate{name}?",),
    "repeat_buyer": ("Running low{name}?", "Ready for a refill{name}?"),
    "new_customer": ("Ready for your first order{name}?",),
    "vip": ("Ready for first pick{name}?",),
    "deal_seeker": ("Looking for a deal{name}?",),
}
_PRODUCT_LINES = (
    "The {product} is back in stock.",
    "Meet the new {product}.",
    "Your favourite {product} is waiting.",
    "The {product} just landed.",
    "Have you seen the {product}?",
)
_VAGUE_LINES = (
    "Great deals are waiting for you.",
    "Don't miss our sale.",
    "Big savings in store now.",
    "Check out our latest offers.",
)
_SOCIAL_LINES = (
    "Loved by over {n},000 customers.",
    "Rated 4.8 stars by our shoppers.",
    "One of our bestsellers this season.",
    "Join thousands of happy customers.",
)
_EXCLUSIVE_LINES = (
    "Just for you.",
    "An exclusive offer for our members.",
    "A private offer, only for you.",
    "Early access, only for our insiders.",
)
_URGENT_DATED = (
    "Only until {date}.",
    "Ends {date}.",
    "Last chance: it ends {date}.",
    "Valid until {date}, so don't wait.",
)
_URGENT_UNDATED = ("Ends tonight.", "Today only.", "Hurry, it ends soon.", "Only 48 hours left.")
_CODE_LINES = (
    "Use code {code}.",
    "Enter {code} at checkout.",
    "Your code: {code}.",
    "Just use code {code}.",
)
_CTA_LINES = (
    "Shop now: {link}",
    "Tap to shop: {link}",
    "Order today at {link}",
    "Claim it now: {link}",
    "Grab yours today: {link}",
    "Shop now.",
    "See the collection: {link}",
)
_FILLER = (
    "We have been working hard on our new collection and we think you will love it.",
    "Our team picked every item with care, from the fabrics to the finishing touches.",
    "Browse hundreds of new arrivals in store and online, with new styles every week.",
    "As always, returns are easy and our support team is happy to help with anything.",
)
_OPT_OUT = ("Reply STOP to opt out.", "Text STOP to unsubscribe.")
_EMOJI = ("🎉", "🛍️", "✨", "🎁", "❤️", "⏰", "🙌")


def _money(amount: float) -> str:
    return f"${amount:g}"


def format_date(day: date) -> str:
    """How the arena's texts write a date: ``Dec 31``."""
    return f"{day:%b} {day.day}"


def _offer_value(facts: Facts, wrong: bool, rng: random.Random) -> tuple[float, float | None]:
    """The value (and min spend) a text states: the voucher's, or a wrong one."""
    value, min_spend = facts.voucher_value, facts.min_spend
    if wrong:
        if facts.voucher_type == "percent_off":
            value = value + rng.choice((5, 10)) if value <= 40 else value - 10
        elif facts.voucher_type in {"amount_off", "threshold"}:
            value = value + 5
        elif min_spend is not None:
            min_spend = min_spend - 10 if min_spend > 20 else min_spend + 10
    return value, min_spend


def offer_sentence(
    facts: Facts, rng: random.Random, with_product: bool, wrong: bool = False
) -> str:
    """A concrete statement of the voucher's offer."""
    value, min_spend = _offer_value(facts, wrong, rng)
    target = (
        f"the {facts.product_name}"
        if with_product
        else rng.choice(("your next order", "everything in store", "your order"))
    )
    kind = facts.voucher_type
    if kind == "percent_off":
        text = rng.choice(
            ("Take {v}% off {t}", "Enjoy {v}% off {t}", "Save {v}% on {t}", "Get {v}% off {t}")
        ).format(v=f"{value:g}", t=target)
    elif kind == "amount_off":
        text = rng.choice(("Take {v} off {t}", "Save {v} on {t}", "Enjoy {v} off {t}")).format(
            v=_money(value), t=target
        )
    elif kind == "free_shipping":
        text = rng.choice(
            ("Get free shipping on {t}", "Enjoy free delivery on {t}", "Shipping is on us for {t}")
        ).format(t=target)
    elif kind == "bogo":
        item = facts.product_name if with_product else "item"
        text = rng.choice(
            (f"Buy one {item}, get one free", f"Get two for the price of one on {target}")
        )
    elif kind == "gift":
        text = rng.choice((f"Get a free gift with {target}", "Pick up a free gift with any order"))
    else:  # threshold: spend X, save Y
        assert min_spend is not None
        text = rng.choice(
            (
                "Spend {m}, save {v} on {t}",
                "Take {v} off {t} when you spend {m}",
                "Save {v} when you spend {m} or more",
            )
        ).format(v=_money(value), m=_money(min_spend), t=target)
    if min_spend is not None and kind in {"percent_off", "amount_off", "free_shipping"}:
        text += f" on orders over {_money(min_spend)}"
    return text + "."


def _hook(facts: Facts, plan: CopyPlan, rng: random.Random) -> str:
    name = f", {FIRST_NAME}" if plan.personalised else ""
    if plan.question:
        options = _QUESTION_HOOKS.get(facts.segment, ("Ready for something new{name}?",))
    else:
        options = _HOOKS.get(facts.segment, ()) + _GENERIC_HOOKS
    return rng.choice(options).format(name=name)


def _shout(sentence: str) -> str:
    protected = sentence.replace(FIRST_NAME, "\0").upper().replace("\0", FIRST_NAME)
    return protected.rstrip(".!?") + "!!!"


def write(plan: CopyPlan, facts: Facts, rng: random.Random) -> tuple[str | None, str]:
    """Realise a plan as ``(subject, body)``; the subject only for e-mail."""
    hook = _hook(facts, plan, rng)
    offer = ""
    if plan.offer in {"early", "late"}:
        offer = offer_sentence(facts, rng, plan.product, plan.wrong_offer)
    elif plan.offer == "vague":
        offer = rng.choice(_VAGUE_LINES)
    product_line = ""
    if plan.product and plan.offer not in {"early", "late"}:
        product_line = rng.choice(_PRODUCT_LINES).format(product=facts.product_name)
    if plan.shouting:
        hook = _shout(hook)
        offer = _shout(offer) if offer else offer
    extras = []
    if plan.social_proof:
        extras.append(rng.choice(_SOCIAL_LINES).format(n=rng.choice((10, 20, 50))))
    if plan.exclusivity:
        extras.append(rng.choice(_EXCLUSIVE_LINES))
    filler = rng.sample(_FILLER, k=min(plan.filler, len(_FILLER)))

    sentences = [hook, *filler]
    if plan.offer == "early":
        sentences = [hook, offer, *filler, *extras]
    elif plan.offer in {"late", "vague"}:
        sentences += [product_line, *extras, offer]
    else:
        sentences += [product_line, *extras]
    if plan.urgency:
        if facts.expires is not None and rng.random() < 0.6:
            sentences.append(rng.choice(_URGENT_DATED).format(date=format_date(facts.expires)))
        else:
            sentences.append(rng.choice(_URGENT_UNDATED))
    if plan.code and facts.code:
        sentences.append(rng.choice(_CODE_LINES).format(code=facts.code))
    if plan.cta:
        sentences.append(rng.choice(_CTA_LINES).format(link=LINK))
    body = " ".join(s for s in sentences if s)
    if plan.emoji:
        body = f"{body} {rng.choice(_EMOJI)}"
    if plan.opt_out and facts.channel == "sms":
        body = f"{body} {rng.choice(_OPT_OUT)}"
    subject = _subject(plan, facts, hook, rng) if facts.channel == "email" else None
    return subject, body


def _subject(plan: CopyPlan, facts: Facts, hook: str, rng: random.Random) -> str:
    if plan.offer in {"early", "late"} and rng.random() < 0.6:
        return offer_sentence(facts, rng, plan.product, plan.wrong_offer).rstrip(".")
    return hook.rstrip(".")


# -- plans ----------------------------------------------------------------------------------

# Probability of each element per house style; mistakes are drawn separately.
_STYLE_ODDS: dict[str, dict[str, float]] = {
    "plain": dict(
        offer=0.8,
        early=0.5,
        personalised=0.3,
        product=0.6,
        urgency=0.3,
        exclusivity=0.1,
        social_proof=0.1,
        code=0.6,
        cta=0.6,
        emoji=0.1,
        question=0.1,
    ),
    "urgent": dict(
        offer=0.9,
        early=0.8,
        personalised=0.3,
        product=0.5,
        urgency=0.95,
        exclusivity=0.1,
        social_proof=0.1,
        code=0.7,
        cta=0.8,
        emoji=0.3,
        question=0.05,
    ),
    "premium": dict(
        offer=0.7,
        early=0.3,
        personalised=0.7,
        product=0.7,
        urgency=0.1,
        exclusivity=0.7,
        social_proof=0.3,
        code=0.5,
        cta=0.6,
        emoji=0.05,
        question=0.1,
    ),
    "playful": dict(
        offer=0.75,
        early=0.5,
        personalised=0.5,
        product=0.6,
        urgency=0.3,
        exclusivity=0.2,
        social_proof=0.2,
        code=0.5,
        cta=0.6,
        emoji=0.8,
        question=0.5,
    ),
    "minimal": dict(
        offer=0.6,
        early=0.7,
        personalised=0.1,
        product=0.3,
        urgency=0.1,
        exclusivity=0.05,
        social_proof=0.0,
        code=0.4,
        cta=0.3,
        emoji=0.05,
        question=0.05,
    ),
    "wordy": dict(
        offer=0.7,
        early=0.2,
        personalised=0.4,
        product=0.8,
        urgency=0.4,
        exclusivity=0.3,
        social_proof=0.5,
        code=0.5,
        cta=0.5,
        emoji=0.2,
        question=0.2,
    ),
}

MISTAKE_ODDS = {"vague": 0.12, "wrong_offer": 0.05, "shouting": 0.06, "too_long": 0.08}


def draw_plan(style: str, channel: str, rng: random.Random, voucher_has_code: bool) -> CopyPlan:
    """A plan in a house style, with a merchant's usual rate of mistakes."""
    odds = _STYLE_ODDS[style]

    def chance(key: str) -> bool:
        return rng.random() < odds[key]

    offer: OfferPlacement = ("early" if chance("early") else "late") if chance("offer") else "none"
    if offer != "none" and rng.random() < MISTAKE_ODDS["vague"]:
        offer = "vague"
    plan = CopyPlan(
        offer=offer,
        personalised=chance("personalised"),
        product=chance("product"),
        urgency=chance("urgency"),
        exclusivity=chance("exclusivity"),
        social_proof=chance("social_proof"),
        code=voucher_has_code and offer in {"early", "late"} and chance("code"),
        cta=chance("cta"),
        emoji=chance("emoji"),
        question=chance("question"),
        opt_out=channel == "sms" and rng.random() < 0.7,
    )
    filler = {"wordy": rng.randint(1, 3), "minimal": 0}.get(style, 0)
    if rng.random() < MISTAKE_ODDS["too_long"]:
        filler += rng.randint(2, 3)
    if channel == "email":
        filler += rng.randint(0, 2)  # e-mails run longer than IM, SMS and push
    return replace(
        plan,
        shouting=rng.random() < MISTAKE_ODDS["shouting"],
        wrong_offer=offer in {"early", "late"} and rng.random() < MISTAKE_ODDS["wrong_offer"],
        filler=filler,
    )
