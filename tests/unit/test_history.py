"""A merchant's lean: how its customers take a copy feature in its other segments, compared
with other merchants' customers there, moves what the agent expects of it in a new one."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from agents.analyst import top_element
from agents.content import extract, own_lifts
from tools.crm.history import (
    columns_of,
    feature_lifts,
    foreign_terms,
    merchant_leans,
    merchant_voice,
    own_dispersion,
    segment_dispersion,
    segment_lifts,
)
from tools.crm.store import Store, TemplateRecord
from tools.statistics import lift_from_log, log_se

SEGMENTS = ("lapsed_30d", "birthday", "vip")


def _record(
    template_id: str, merchant: str, segment: str, text: str, conversions: int, sent_at: str
) -> TemplateRecord:
    """An IM template of a 10% voucher on home goods, sent 10,000 times."""
    return TemplateRecord(
        template_id, merchant, segment, "im", "percent_off", 10.0, None, None, None, "home",
        text, None, 10_000, 3_000, 900, conversions, None, sent_at,
    )  # fmt: skip


def _campaigns(
    merchant: str, segment: str, emoji_rate: float, name: str | None = None
) -> list[TemplateRecord]:
    """Ten A/B campaigns: the same message with and without an emoji; without it 2% of
    10,000 sends convert, with it ``emoji_rate``; stored under ``name`` when the merchant
    calls the segment something else."""
    return [
        _record(
            f"{merchant}-{segment}-{campaign}-{arm}",
            merchant,
            name or segment,
            "Save 10% on our linen. Shop now: {link}" + suffix,
            round(10_000 * rate),
            f"2026-0{1 + campaign % 9}-{10 + campaign}",
        )
        for campaign in range(10)
        for arm, (suffix, rate) in enumerate(((" 🎉", emoji_rate), ("", 0.02)))
    ]


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


def test_a_segment_holds_a_merchants_templates_under_its_own_name_for_it(
    tmp_path: Path,
) -> None:
    renamed = _store(tmp_path / "renamed.sqlite", {"lapsed_30d": "sleepers"})
    lapsed = renamed.templates(segment="lapsed_30d")
    assert {r.merchant_id for r in lapsed} == {"m1", "m2", "m3", "m-odd"}
    assert {r.segment for r in lapsed if r.merchant_id == "m-odd"} == {"sleepers"}
    assert renamed.templates(segment="sleepers") == []
    # The merchant's own name, asked with the merchant, is the segment it stands for.
    assert renamed.templates("m-odd", "sleepers") == renamed.templates("m-odd", "lapsed_30d")
    best = renamed.best_converting("m-odd", "sleepers", "2026-01-01", "2026-12-31")
    assert best is not None and best.startswith("m-odd-lapsed_30d-")
    assert best == renamed.best_converting("m-odd", "lapsed_30d", "2026-01-01", "2026-12-31")
    assert renamed.learning_segments() == sorted(SEGMENTS)
    # Four merchants' 200,000 sends each in lapsed_30d and birthday, three in vip.
    rates = renamed.segment_rates("percent_off", "im")
    assert [(segment, sends) for segment, sends, _ in rates] == [
        ("birthday", 800_000),
        ("lapsed_30d", 800_000),
        ("vip", 600_000),
    ]
    # Another merchant's own "sleepers", not mapped, stays a segment of its own.
    with renamed.transaction():
        renamed.put_templates(_campaigns("m-other", "sleepers", 0.02))
    assert renamed.templates(segment="sleepers") == renamed.templates("m-other")
    assert len(renamed.templates(segment="lapsed_30d")) == len(lapsed)
    # Mapping a name changes what was built from the old reading.
    version = renamed.get_meta("data_version")
    with renamed.transaction():
        renamed.map_segment("m-other", "sleepers", "birthday")
    assert renamed.get_meta("data_version") != version
    assert renamed.templates(segment="sleepers") == []
    assert renamed.learning_segments() == sorted(SEGMENTS)


def test_a_merchants_voice_is_its_best_converting_texts(store: Store) -> None:
    voice = merchant_voice(store, "m1", "vip", limit=3)
    # m1's emoji variants converted 2.4% against 2% without: they come first.
    assert len(voice) == 3 and all(text.endswith("🎉") for text in voice)
    assert merchant_voice(store, "nobody", "vip") == ()


def _greetings(path: Path, merchants: int) -> Store:
    """Merchants that greet cart abandoners and new customers each their own way, five
    campaigns a segment; their cart texts converted better."""
    greetings = {"cart_abandoner": "You left something behind.", "new_customer": "Welcome aboard!"}
    store = Store(path)
    with store.transaction():
        store.put_templates(
            [
                _record(
                    f"m{merchant}-{segment}-{n}",
                    f"m{merchant}",
                    segment,
                    f"{greeting} Our linen is woven by hand. Save 10% now: {{link}}",
                    300 if segment == "cart_abandoner" else 200,
                    f"2026-0{1 + n % 9}-1{n}",
                )
                for merchant in range(1, merchants + 1)
                for segment, greeting in greetings.items()
                for n in range(5)
            ]
        )
    return store


def test_a_line_written_for_one_audience_is_not_lent_to_another(tmp_path: Path) -> None:
    store = _greetings(tmp_path / "crm.sqlite", merchants=6)
    assert {"something", "behind", "left something"} <= foreign_terms(store, "new_customer")
    assert "welcome aboard" in foreign_terms(store, "cart_abandoner")
    assert not {"our", "linen", "our linen", "link"} & foreign_terms(store, "new_customer")
    # m1's best texts were sent to cart abandoners: a new customer hears their plain line
    # without the greeting; a cart abandoner hears them whole.
    welcome = merchant_voice(store, "m1", "new_customer", limit=3)
    assert welcome == ("Our linen is woven by hand. Save 10% now: {link}",) * 3
    remind = merchant_voice(store, "m1", "cart_abandoner", limit=3)
    assert all(text.startswith("You left something behind.") for text in remind)
    # One merchant's ten templates are too few to tell what a segment avoids.
    assert (
        foreign_terms(_greetings(tmp_path / "small.sqlite", merchants=1), "new_customer") == set()
    )


def test_a_merchants_habit_does_not_make_a_feature_look_harmful() -> None:
    # m-habit only ever writes urgency into its texts without the offer; its customers
    # take the offer at 2x and urgency at 1.3x, as the segment's do.
    texts = ("Hurry, our new linen is in store. Shop now: {link}", "Save 10% on our linen.")
    records = [
        _record(
            f"c{campaign}-{arm}", "m-habit", "vip", text, conversions, f"2026-0{campaign + 1}-01"
        )
        for campaign in range(4)
        for arm, (text, conversions) in enumerate(zip(texts, (260, 400), strict=True))
    ]
    # Read alone, urgency is blamed for the offer.
    assert feature_lifts(columns_of(records))["urgency"].ratio < 0.7
    segment = {
        "urgency": lift_from_log(math.log(1.3), 0.05, 50_000, 50_000),
        "offer_stated": lift_from_log(math.log(2.0), 0.05, 50_000, 50_000),
    }
    mine = own_lifts(records, segment, dict.fromkeys(segment, (0.0, 0.15**2)))
    assert mine["urgency"].ratio == pytest.approx(1.3, rel=0.05)
    assert mine["urgency"].confidence > 0.95
    assert mine["offer_stated"].ratio == pytest.approx(2.0, rel=0.05)
    assert mine["urgency"].sample_size == 50_000 + 50_000 + 80_000


def _fickle(path: Path) -> Store:
    """m-fickle's vip customers loved the emoji in one campaign and not in the next: its
    lifts disagree between alternate campaigns far beyond what 10,000 sends an arm
    explain."""
    fickle = []
    for record in _campaigns("m-fickle", "vip", 0.02):
        campaign, arm = (int(part) for part in record.template_id.split("-")[-2:])
        twice = arm == 0 and campaign % 2 == 1  # the emoji arm of every other campaign
        fickle.append(record._replace(conversions=record.conversions * (2 if twice else 1)))
    noisy = Store(path)
    with noisy.transaction():
        noisy.put_templates(fickle)
    return noisy


def test_own_dispersion_is_measured_on_the_stores_own_replication(
    store: Store, tmp_path: Path
) -> None:
    # Every merchant's A/B campaigns repeat exactly: halves of a history agree.
    assert own_dispersion(store) == 1.0
    assert own_dispersion(_fickle(tmp_path / "noisy.sqlite")) > 10


def test_a_segments_lifts_are_trusted_as_far_as_its_halves_agree(
    store: Store, tmp_path: Path
) -> None:
    assert segment_dispersion(store) == 1.0
    assert (
        segment_lifts(store, "vip")["emoji"]
        == feature_lifts(columns_of(store.templates(segment="vip")))["emoji"]
    )
    # Read one feature at a time over the whole segment, the emoji's 1.5x looks certain;
    # alternate campaigns say 1x and 2x, so the store widens its interval by as much.
    noisy = _fickle(tmp_path / "noisy.sqlite")
    factor = segment_dispersion(noisy)
    assert factor > 10
    raw = feature_lifts(columns_of(noisy.templates(segment="vip")))["emoji"]
    trusted = segment_lifts(noisy, "vip")["emoji"]
    assert trusted.ratio == pytest.approx(raw.ratio)
    assert log_se(trusted) == pytest.approx(log_se(raw) * math.sqrt(factor))
    assert raw.confidence > 0.999 and trusted.confidence < 0.99


def test_the_element_that_lifts_most_is_read_with_the_company_it_keeps(tmp_path: Path) -> None:
    # In vip, social proof converts at 1.5x and urgency at 1.3x; but the merchants only
    # ever cite their customers in a shouted line, and shouting costs 0.7x. Read one at a
    # time, social proof takes the blame for the shouting and urgency looks the stronger.
    base = "Our linen is in store. Shop now: {link}"
    arms = (
        ("HUGE NEWS FOR YOU!!! Loved by our customers. " + base, 1.5 * 0.7),
        ("Hurry, it ends soon. " + base, 1.3),
        ("HUGE NEWS FOR YOU!!! " + base, 0.7),
        (base, 1.0),
    )
    records = [
        _record(f"c{c}-{a}", f"m{c % 3}", "vip", text, round(200 * factor), f"2026-{c + 1:02d}-01")
        for c in range(12)
        for a, (text, factor) in enumerate(arms)
    ]
    store = Store(tmp_path / "crm.sqlite")
    with store.transaction():
        store.put_templates(records)
    alone = segment_lifts(store, "vip")
    assert alone["urgency"].ratio > alone["social_proof"].ratio
    assert top_element(store, "vip", ["social_proof", "urgency"]) == "social_proof"
    assert top_element(store, "vip", ["urgency", "question"]) == "urgency"  # never tested
    assert top_element(store, "birthday", ["urgency"]) is None  # no history there
