"""A merchant's lean: how its customers take a copy feature in its other segments, compared
with other merchants' customers there, moves what the agent expects of it in a new one."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from agents.content import extract, own_lifts
from tools.history import merchant_leans, merchant_voice, segment_lifts
from tools.store import Store, TemplateRecord

SEGMENTS = ("lapsed_30d", "birthday", "vip")


def _campaigns(
    merchant: str, segment: str, emoji_rate: float, name: str | None = None
) -> list[TemplateRecord]:
    """Ten A/B campaigns: the same message with and without an emoji; without it 2% of
    10,000 sends convert, with it ``emoji_rate``; stored under ``name`` when the merchant
    calls the segment something else."""
    records = []
    for campaign in range(10):
        sent_at = f"2026-0{1 + campaign % 9}-{10 + campaign}"
        for arm, (suffix, rate) in enumerate(((" 🎉", emoji_rate), ("", 0.02))):
            records.append(
                TemplateRecord(
                    f"{merchant}-{segment}-{campaign}-{arm}",
                    merchant,
                    name or segment,
                    "im",
                    "percent_off",
                    10.0,
                    None,
                    None,
                    None,
                    "home",
                    "Save 10% on our linen. Shop now: {link}" + suffix,
                    None,
                    10_000,
                    3_000,
                    900,
                    round(10_000 * rate),
                    None,
                    sent_at,
                )
            )
    return records


def _store(path: Path, odd_names: dict[str, str]) -> Store:
    records = []
    for merchant in ("m1", "m2", "m3"):
        for segment in SEGMENTS:
            records += _campaigns(merchant, segment, 0.024)
    for segment in SEGMENTS[:2]:
        records += _campaigns("m-odd", segment, 0.02, odd_names.get(segment))
    store = Store(path)
    with store.transaction():
        store.put_templates(records)
        for canonical, name in odd_names.items():
            store.map_segment("m-odd", name, canonical)
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Three segments. Everyone's customers like an emoji (2.4% vs 2%), except those of
    m-odd, who shrug at it (2% vs 2%) in lapsed_30d and birthday; m-odd has never run
    vip."""
    return _store(tmp_path / "crm.sqlite", {})


def test_a_merchant_that_shrugs_at_emoji_elsewhere_leans_against_it(store: Store) -> None:
    shift, variance = merchant_leans(store, "m-odd", "vip", 0.15)["emoji"]
    # Its customers took the emoji at 1.0x where others' took it at 1.2x: a lean of -0.18
    # on the log scale, mostly believed (two segments of 100,000 sends each).
    assert math.log(1 / 1.2) < shift < 0.5 * math.log(1 / 1.2)
    assert variance < 0.15**2 / 2
    # A typical merchant sits a little above segments that m-odd pulls down.
    typical, _ = merchant_leans(store, "m1", "vip", 0.15)["emoji"]
    assert 0 < typical < abs(shift) / 3
    # No other segment, no lean: a merchant is not compared with itself.
    assert merchant_leans(store, "m-new", "vip", 0.15)["emoji"] == pytest.approx((0, 0.0225))


def test_the_lean_moves_the_segments_lift_and_says_so(store: Store) -> None:
    segment = segment_lifts(store, "vip", "im", 0.15)
    assert segment["emoji"].ratio == pytest.approx(1.2, rel=0.02)
    leans = merchant_leans(store, "m-odd", "vip", 0.15)
    mine = own_lifts([], segment, leans)
    assert 1.0 < mine["emoji"].ratio < 1.1
    assert mine["emoji"].confidence < segment["emoji"].confidence
    vip = store.templates(segment="vip")
    patterns = extract(vip, [vip[0].template_id], lifts=mine, leans=leans)
    emoji = next(p for p in patterns if p.name == "emoji")
    assert "your other segments" in emoji.description
    assert emoji.lean is not None and 0.8 < emoji.lean < 0.95
    assert all(p.lean is None for p in patterns if p.name != "emoji")
    assert emoji.evidence == [vip[0].template_id]


def test_a_merchants_own_segment_names_count_as_their_canonical_segments(
    store: Store, tmp_path: Path
) -> None:
    # m-odd calls lapsed_30d "sleepers": its templates there are compared with the other
    # merchants' lapsed_30d (not with themselves, which would say it leans nowhere).
    renamed = _store(tmp_path / "renamed.sqlite", {"lapsed_30d": "sleepers"})
    expected, _ = merchant_leans(store, "m-odd", "vip", 0.15)["emoji"]
    shift, _ = merchant_leans(renamed, "m-odd", "vip", 0.15)["emoji"]
    assert shift == pytest.approx(expected, rel=0.2)
    # A name that stands for the segment asked about is that segment: not "elsewhere".
    asked = merchant_leans(store, "m-odd", "birthday", 0.15)["emoji"]
    aliased = _store(tmp_path / "aliased.sqlite", {"birthday": "treats"})
    assert merchant_leans(aliased, "m-odd", "birthday", 0.15)["emoji"] == pytest.approx(asked)


def test_a_merchants_voice_is_its_best_converting_texts(store: Store) -> None:
    voice = merchant_voice(store, "m1", limit=3)
    # m1's emoji variants converted 2.4% against 2% without: they come first.
    assert len(voice) == 3 and all(text.endswith("🎉") for text in voice)
    assert merchant_voice(store, "nobody") == ()
