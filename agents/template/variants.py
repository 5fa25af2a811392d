"""Variants for an A/B test: the features of a plan the evidence is least sure of, the plan
with one of them flipped, and the hypothesis a test of the flip puts, in the merchant's
words. Pure functions of the patterns and the plan; the graph writes and checks the texts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from agents.template.grounded import ALWAYS, NEVER
from tools.domain import Pattern
from tools.message.best_practice import practice
from tools.message.features import feature_of
from tools.writing.writer import WritePlan

FLIPPABLE: Mapping[str, tuple[str, str]] = {
    "urgency": ("a reason to act now", "none"),
    "personalised": ("the customer's name", "no name"),
    "emoji": ("an emoji", "none"),
    "code_stated": ("the code spelled out", "the code left out"),
    "question": ("a question", "none"),
    "exclusivity": ("an exclusive note", "none"),
    "social_proof": ("other customers' word", "none"),
    "product_named": ("the product named", "not named"),
    "offer_early": ("the offer up front", "the offer later"),
}
"""The features the editor and the writer can add or take out, each with how a hypothesis
names the message with it and without it."""

CHANNELS = {"sms": "SMS", "email": "e-mail", "push": "push", "im": "chat"}
"""How a hypothesis names the channel."""


@dataclass(frozen=True)
class Flip:
    """One feature to test: its pattern and whether the variant carries it."""

    feature: str
    pattern: Pattern
    uses: bool


def uncertain(patterns: Sequence[Pattern], channel: str, carried: Mapping[str, bool]) -> list[Flip]:
    """The features the evidence is least sure of first (a pattern's confidence nearest
    0.5), among those the editor and the writer can flip, each flipped against the main
    template (``carried``: its features). Features the channel's best practice does not rule
    out come first: a test of an emoji in an SMS teaches little the carrier has not
    decided."""
    ruled_out = practice(None, channel).avoid
    best: dict[str, Pattern] = {}
    for pattern in patterns:
        feature = feature_of(pattern)
        if feature not in FLIPPABLE or feature in ALWAYS or feature in NEVER:
            continue
        held = best.get(feature)
        if held is None or abs(pattern.confidence - 0.5) < abs(held.confidence - 0.5):
            best[feature] = pattern
    ordered = sorted(
        best.items(),
        key=lambda item: (item[0] in ruled_out, abs(item[1].confidence - 0.5), item[0]),
    )
    return [Flip(feature, pattern, not carried.get(feature, False)) for feature, pattern in ordered]


def flipped(plan: WritePlan, flip: Flip) -> WritePlan:
    """The plan with one feature turned: used where the main plan avoided or left it, avoided
    where it used it. Marked decided, so the pick among drafts weighs it as the plan says."""
    use = tuple(f for f in plan.use if f != flip.feature)
    avoid = plan.avoid - {flip.feature}
    if flip.uses:
        use = (*use, flip.feature)
    else:
        avoid |= {flip.feature}
    return replace(plan, use=use, avoid=avoid, decided=plan.decided | {flip.feature})


def hypothesis(flip: Flip, segment: str, channel: str) -> str:
    """What a test of the variant teaches, in the merchant's words: "a reason to act now vs
    none (this variant: a reason to act now): the evidence is 62% sure it helps lapsed_90d
    SMS (lift 1.08x, n=12,000 sends)"."""
    with_it, without = FLIPPABLE[flip.feature]
    way = "helps" if flip.pattern.lift >= 1 else "hurts"
    return (
        f"{with_it} vs {without} (this variant: {with_it if flip.uses else without}): the "
        f"evidence is {flip.pattern.confidence:.0%} sure it {way} {segment} "
        f"{CHANNELS.get(channel, channel)} (lift {flip.pattern.lift:.2f}x, "
        f"n={flip.pattern.sample_size:,} sends)"
    )
