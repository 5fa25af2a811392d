"""The draft a message is assembled in, slot by slot, and how a slot's text is reworked to
fit: the customer's name put in or taken out, the product left unnamed, the opening given
up for room."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tools.message.text import tidy
from tools.writing.writer.plan import NAME


@dataclass
class Draft:
    """A message being written, one field a slot, and the body they make in order."""

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


def _target(product: str) -> str:
    return product if product.lower().startswith("the ") else f"the {product}"


def with_name(hook: str, personalised: bool) -> str:
    """Put ``{first_name}`` into a hook (before its closing mark) or take it out."""
    bare = re.sub(r",?\s*\{first_name\},?", "", hook).strip()
    bare = re.sub(r"\s+([!?.])", r"\1", bare)
    if not personalised:
        return bare[:1].upper() + bare[1:]
    match = re.search(r"[!?.]+$", bare)
    end = match.group(0) if match else "."
    core = bare[: match.start()] if match else bare
    return f"{core}, {NAME}{end}"


def greeting(offer: str) -> str:
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


def unnamed(offer: str, product: str) -> str:
    """The offer line without the product's name, the offer itself untouched ("Take $15 off
    the Summit Tent when you spend $100." -> "Take $15 off when you spend $100.")."""
    for pattern, bare in _UNNAMING:
        named = pattern.format(target=_target(product), product=product) if product else ""
        if not named:
            return offer
        if named in offer:
            return offer.replace(named, bare, 1)
    return offer


def without_opening(draft: Draft, use: set[str], keep: set[str]) -> Draft:
    """Room for a planned feature that does not fit: the opening line goes when it carries
    nothing planned but the name (which moves into the offer line), or nothing in ``keep``
    (what of ``use`` is worth more than the feature it makes room for)."""
    asks = "question" in keep and "?" in draft.hook
    if not draft.hook or asks or not draft.offer:
        return draft
    greet = "personalised" in use and NAME not in draft.offer
    offer = greeting(draft.offer) if greet else draft.offer
    return Draft(**{**draft.__dict__, "hook": "", "offer": offer, "hook_after": False})
