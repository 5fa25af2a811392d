"""The arena's grammar and hidden response model: texts carry what their plans say, the
detector sees it, and the latent structure makes some features help one segment and hurt
another."""

from __future__ import annotations

import random
from dataclasses import fields, replace
from datetime import date

import numpy as np
import pytest

from arena.grammar import STYLES, CopyPlan, Facts, draw_plan, write
from arena.hidden import draw_hidden
from arena.response import Campaign, detect, expected_cvr, sms_segments, wrong_offer

FACTS = Facts(
    "lapsed_90d", "im", "Aero Trail Runner", "percent_off", 20.0, None, date(2026, 12, 31), "BACK20"
)

# Plan element -> the detector's name for it.
DETECTED = {
    "personalised": "personalised",
    "urgency": "urgency",
    "social_proof": "social_proof",
    "code": "code_stated",
    "cta": "cta",
    "emoji": "emoji",
    "question": "question",
    "shouting": "shouting",
    "wrong_offer": "wrong_offer",
}


def test_detector_reads_what_the_grammar_wrote() -> None:
    rng = random.Random(5)
    agree: dict[str, list[bool]] = {name: [] for name in DETECTED}
    for _ in range(600):
        plan = draw_plan(rng.choice(STYLES), "im", rng, voucher_has_code=True)
        subject, body = write(plan, FACTS, rng)
        found = detect(subject, body, FACTS)
        for element, feature in DETECTED.items():
            agree[element].append(bool(getattr(plan, element)) == bool(found[feature]))
        assert bool(found["offer_stated"]) == (plan.offer in {"early", "late"})
    rates = {element: float(np.mean(hits)) for element, hits in agree.items()}
    assert min(rates.values()) >= 0.95, rates


def test_texts_have_no_seams() -> None:
    rng = random.Random(9)
    for _ in range(300):
        plan = draw_plan(rng.choice(STYLES), "sms", rng, voucher_has_code=True)
        _, body = write(plan, replace(FACTS, channel="sms"), rng)
        assert "  " not in body and " ." not in body and ".." not in body
        assert body[0].isupper() and "{" not in body.replace("{first_name}", "").replace(
            "{link}", ""
        )


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Take 20% off with BACK20 until Dec 31.", False),
        ("Take 25% off with BACK20.", True),
        ("Take 20% off, use code SAVE20.", True),
        ("Take 20% off, only until Jan 5.", True),
        ("Save $20 on the Aero Trail Runner.", True),
        ("Loved by over 20,000 customers. Rated 4.8 stars.", False),
        ("Take 20% off. Buy one item, get one free.", True),
        ("Take 20% off, with free delivery.", True),
    ],
)
def test_wrong_offer_facts(text: str, wrong: bool) -> None:
    assert wrong_offer(text, FACTS) is wrong


def test_sms_segments_switch_encoding_on_one_emoji() -> None:
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2
    assert sms_segments("a" * 68 + "🎉") == 1  # the emoji is two UTF-16 units
    assert sms_segments("a" * 69 + "🎉") == 2
    assert sms_segments("é" * 160) == 1  # é is in the GSM-7 alphabet


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_latent_structure_splits_segments_and_channels(seed: int) -> None:
    world = draw_hidden(np.random.default_rng(seed), seed, ["m1"])
    assert (
        world.segments["lapsed_90d"].weights["urgency"] > world.segments["vip"].weights["urgency"]
    )
    assert (
        world.segments["vip"].weights["exclusivity"]
        > world.segments["deal_seeker"].weights["exclusivity"]
    )
    assert world.channels["im"].emoji_click > world.channels["email"].emoji_click
    assert world.framing[("low", "percent_off")] > world.framing[("high", "percent_off")]
    assert world.framing[("high", "amount_off")] > world.framing[("low", "amount_off")]


def test_response_rewards_good_copy_and_punishes_wrong_offers() -> None:
    world = draw_hidden(np.random.default_rng(1), 1, ["m1"])
    campaign = Campaign("m1", FACTS, 120.0)
    weak = "Hello. We have some products you might like."
    strong = (
        "We miss you, {first_name}! Take 20% off the Aero Trail Runner with code BACK20. "
        "Only until Dec 31. Shop now: {link}"
    )
    wrong = strong.replace("20%", "30%")
    assert expected_cvr(world, campaign, None, strong) > 1.3 * expected_cvr(
        world, campaign, None, weak
    )
    assert expected_cvr(world, campaign, None, wrong) < 0.5 * expected_cvr(
        world, campaign, None, strong
    )


def test_plan_fields_are_all_realised() -> None:
    # Every CopyPlan field is one the grammar reads; a new field must be written and detected.
    assert {f.name for f in fields(CopyPlan)} == {
        "offer",
        "personalised",
        "product",
        "urgency",
        "exclusivity",
        "social_proof",
        "code",
        "cta",
        "emoji",
        "question",
        "opt_out",
        "shouting",
        "wrong_offer",
        "filler",
    }
