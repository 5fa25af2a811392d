"""The copy features the agent learns from, on texts a merchant would write."""

from __future__ import annotations

import pytest

from tools.message.features import CopyContext, copy_features

CONTEXT = CopyContext("sms", "Trail Runner X", "BACK20")


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        (
            "20% off the Trail Runner X! Use BACK20. Shop now: {link}",
            {"offer_stated", "offer_early", "product_named", "code_stated", "cta"},
            {"urgency", "personalised", "vague_offer"},
        ),
        (
            "Hi {first_name}, we have something for you. It's quite nice really. Take 20% off.",
            {"personalised", "offer_stated"},
            {"offer_early", "cta"},
        ),
        ("Great deals are waiting! Don't miss our sale.", {"vague_offer"}, {"offer_stated"}),
        (
            "Only until Dec 31. Free shipping, just for you.",
            {"urgency", "exclusivity", "offer_stated", "offer_early"},
            {"question"},
        ),
        (
            "Still thinking it over? Our bestseller is back. 🎉",
            {"question", "social_proof", "emoji"},
            {"shouting"},
        ),
        ("BIG NEWS FOR ALL OF YOU TODAY!!! 10% off.", {"shouting"}, set()),
        # An offer is stated once its phrase is complete: a BOGO by its last word.
        ("Something special, {first_name}. 20% off.", {"offer_early"}, set()),
        (
            "Something special, {first_name}. Buy one, get one free.",
            {"offer_stated"},
            {"offer_early"},
        ),
        ("Good timing. Buy one, get one free.", {"offer_stated", "offer_early"}, set()),
        (
            "Use BACK20 today. VIP early access. Reply STOP to opt out.",
            {"exclusivity"},
            {"shouting"},
        ),
    ],
)
def test_features(text: str, present: set[str], absent: set[str]) -> None:
    found = copy_features(text, None, CONTEXT)
    assert {f for f in present if not found[f]} == set()
    assert {f for f in absent if found[f]} == set()


def test_length_is_judged_per_channel() -> None:
    text = "Take 20% off the Trail Runner X. " * 6
    assert copy_features(text, None, CONTEXT)["long_copy"]
    assert not copy_features(text, None, CopyContext("email", "Trail Runner X"))["long_copy"]
    # 198 characters: past the middle of an SMS's sweet spot, short for an e-mail.
    assert not copy_features(text, None, CONTEXT)["short_copy"]
    assert copy_features(text, None, CopyContext("email", "Trail Runner X"))["short_copy"]


def test_subject_counts_for_the_message() -> None:
    found = copy_features("See what's new.", "20% off for you, {first_name}", CopyContext("email"))
    assert found["offer_stated"] and found["personalised"] and not found["offer_early"]
