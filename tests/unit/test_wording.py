"""Wordings: which words a message opens with, leads into its offer with and calls to action
with are read from the text, learned within campaigns from the history, and a clearly
better one replaces the merchant's own, with its evidence."""

from __future__ import annotations

import math
from typing import Any

from tools.crm.store import TemplateRecord
from tools.domain import CampaignRequest, Merchant, WordingLift
from tools.writing import wording
from tools.writing.editor import Editor
from tools.writing.writer import WritePlan

SHOP = Merchant(merchant_id="knix", name="Knix")
PLAIN = WritePlan(use=("offer_stated", "cta"))


def test_the_three_slots_are_read_as_keys_with_their_words() -> None:
    found = wording.read(
        "Knix: We miss you, {first_name}! Take 20% off everything. Claim it now: {link}"
    )
    assert found["opening"] == wording.Read("we miss you", "We miss you!")
    assert found["offer_verb"].key == "take"
    assert found["call"] == wording.Read("claim it now", "Claim it now")


def test_a_text_that_opens_with_its_offer_reads_as_the_empty_opening() -> None:
    found = wording.read("Save $15 on the Nova Power Bank. Shop now: {link}")
    assert found["opening"].key == ""
    assert found["offer_verb"].key == "save"
    # "Shop now:" before the link is the call to action, not a sender's name.
    assert found["call"].key == "shop now"


def test_a_push_without_a_link_calls_to_action_with_its_closing_imperative() -> None:
    assert wording.read("Your cart misses you. Grab yours today.")["call"].key == "grab yours today"
    assert "call" not in wording.read("Your cart misses you. One of our bestsellers.")


def _record(
    tid: str, campaign: int, text: str, sends: int, conversions: int, merchant: str = "m1"
) -> TemplateRecord:
    return TemplateRecord(
        template_id=tid,
        merchant_id=merchant,
        segment="vip",
        channel="sms",
        voucher_type="percent_off",
        voucher_value=20.0,
        min_spend=None,
        expires=None,
        code=None,
        product_category="apparel",
        text=text,
        subject=None,
        sends=sends,
        opens=sends,
        clicks=sends,
        conversions=conversions,
        revenue=None,
        sent_at=f"2026-0{1 + campaign % 9}-1{campaign // 9}",
    )


def _history(
    better: int, worse: int, campaigns: int = 12, merchants: int = 3
) -> list[TemplateRecord]:
    """A/B siblings that differ only in the call to action's words, the campaigns shared out
    among ``merchants`` shops."""
    records = []
    for c in range(campaigns):
        for tid, call, conversions in (("a", "Claim it now", better), ("b", "Shop now", worse)):
            text = f"Thank you! Take 20% off everything. {call}: {{link}}"
            merchant = f"m{1 + c % merchants}"
            records.append(_record(f"t{c}{tid}", c, text, 1000, conversions, merchant))
    return records


def test_a_wording_is_credited_within_campaigns_against_its_siblings() -> None:
    learned = {
        (w.slot, w.key): w
        for w in wording.learn(wording.read_segment(_history(better=40, worse=20)))
    }
    claim, shop = learned[("call", "claim it now")], learned[("call", "shop now")]
    assert claim.lift > 1.2 and claim.confidence > 0.95 and claim.surface == "Claim it now"
    assert shop.lift < 1 and wording.worth(claim) > wording.worth(shop)
    assert len(claim.evidence) == 10 and claim.channels == ["sms"]
    # The opening every sibling shares says nothing either way.
    assert abs(math.log(learned[("opening", "thank you")].lift)) < 0.05


def test_a_few_sends_move_a_wording_little() -> None:
    few = {
        (w.slot, w.key): w for w in wording.learn(wording.read_segment(_history(4, 2, campaigns=3)))
    }
    many = {
        (w.slot, w.key): w
        for w in wording.learn(wording.read_segment(_history(40, 20, campaigns=12)))
    }
    assert wording.worth(few[("call", "claim it now")]) < wording.worth(
        many[("call", "claim it now")]
    )


def test_a_merchants_own_campaigns_move_the_segments_reading() -> None:
    segment = _history(better=30, worse=30)
    own = _history(better=45, worse=15, campaigns=6)
    reading = wording.read_segment(segment)
    alone = {(w.slot, w.key): w.lift for w in wording.learn(reading)}
    mine = {(w.slot, w.key): w.lift for w in wording.learn(reading, own)}
    assert mine[("call", "claim it now")] > alone[("call", "claim it now")]


def test_one_shops_own_words_are_never_offered_to_another() -> None:
    """Learned from two shops, "Claim it now" stays theirs: another merchant is not offered
    their words, while a shop that wrote them learns from them as before."""
    two = _history(better=40, worse=20, merchants=2)
    reading = wording.read_segment(two)
    assert ("call", "claim it now") not in {(w.slot, w.key) for w in wording.learn(reading)}
    own = [r for r in two if r.merchant_id == "m1"]
    assert ("call", "claim it now") in {(w.slot, w.key) for w in wording.learn(reading, own)}


def _lift(slot: str, key: str, surface: str, lift: float, **extra: Any) -> WordingLift:
    return WordingLift.model_validate(
        {
            "slot": slot,
            "key": key,
            "surface": surface,
            "lift": lift,
            "ci_low": lift * 0.8,
            "ci_high": lift * 1.25,
            "confidence": 0.97,
            "sample_size": 40_000,
            "channels": ["sms", "email"],
            "voucher_types": ["percent_off", "free_shipping"],
            "evidence": ["t1", "t2", "t3", "t4"],
            **extra,
        }
    )


def _edit(original: str, wordings: list[WordingLift], **fields: Any) -> Any:
    request = CampaignRequest.model_validate(
        {
            "merchant_id": "knix",
            "segment": "vip",
            "channel": "sms",
            "product_category": "apparel",
            "original_template": original,
            "voucher": {"type": "percent_off", "value": 20, "code": "VIP20"},
            **fields,
        }
    )
    return Editor(request, SHOP, "vip", sender="Knix", wordings=wordings).edit(PLAIN)


ORIGINAL = "Knix: Good news! Save 20% on everything with code VIP20. Shop now: {link}"


def test_a_clearly_better_call_to_action_replaces_the_merchants_with_its_evidence() -> None:
    edited = _edit(
        ORIGINAL,
        [_lift("call", "claim it now", "Claim it now", 1.4), _lift("call", "shop now", "", 0.9)],
    )
    assert "Claim it now: {link}" in edited.template.body
    assert "Shop now" not in edited.template.body
    (change,) = [e for e in edited.edits if e.kind == "wording"]
    assert change.before == "Shop now: {link}" and change.after == "Claim it now: {link}"
    assert "1.40x" in change.reason and change.evidence == ["t1", "t2", "t3"]
    assert change.pattern == "wording:call"


def test_an_opening_the_text_already_says_further_on_is_not_put_first() -> None:
    edited = _edit(
        "Knix: Good news! Save 20% on everything with code VIP20. You're on our VIP list. "
        "Shop now: {link}",
        [_lift("opening", "you're on our vip list", "You're on our VIP list.", 1.5)],
    )
    assert edited.template.body.count("VIP list") == 1
    assert not [e for e in edited.edits if e.pattern == "wording:opening"]


def test_the_opening_and_the_offers_verb_follow_the_evidence() -> None:
    edited = _edit(
        ORIGINAL,
        [
            _lift("opening", "thank you for being with us", "Thank you for being with us.", 1.5),
            _lift("opening", "good news", "Good news!", 0.7),
            _lift("offer_verb", "take", "Take", 1.3),
        ],
    )
    body = edited.template.body
    assert body.startswith("Knix: Thank you for being with us.")
    assert "Take 20% off everything" in body and "Save" not in body


def test_no_evidence_or_too_little_leaves_the_merchants_words() -> None:
    assert "Shop now: {link}" in _edit(ORIGINAL, []).template.body
    slight = [_lift("call", "claim it now", "Claim it now", 1.02)]
    assert "Shop now: {link}" in _edit(ORIGINAL, slight).template.body


def test_a_wording_never_seen_in_the_channel_or_before_the_offer_is_not_used() -> None:
    email_only = [_lift("call", "claim it now", "Claim it now", 1.5, channels=["email"])]
    assert "Shop now: {link}" in _edit(ORIGINAL, email_only).template.body
    # "Take" reads before an amount, not before free shipping.
    shipping = {"type": "free_shipping", "value": None}
    edited = _edit(
        "Knix: Get free shipping today. {link}",
        [_lift("offer_verb", "take", "Take", 1.5)],
        voucher=shipping,
    )
    assert "Get free shipping" in edited.template.body


def test_swapping_the_verb_ties_the_amount_as_the_new_verb_wants() -> None:
    from tools.writing.editor.learned import _swap_verb

    assert _swap_verb("Save $15 on the Nova.", "Save", "take") == "Take $15 off the Nova."
    assert _swap_verb("Take 20% off it.", "Take", "save") == "Save 20% on it."
    assert _swap_verb("Get two for the price of one on it.", "Get", "enjoy") == (
        "Enjoy two for the price of one on it."
    )
