"""The grounded writer's copy reads like a marketer wrote it: checked on a few hundred
generated texts across segments, channels, vouchers, plans and voices."""

from __future__ import annotations

import itertools
import random
import re
from datetime import date

from agents.template import draft_value, minimal, plan_from, rules_rewrite, write, write_best
from graph.context import Context
from tools.domain import CampaignRequest, Merchant, Pattern, TemplateText
from tools.message.channels import LIMITS, sms_count
from tools.message.features import CopyContext, copy_features
from tools.message.offers import OFFER_PHRASE, offer_fact_errors
from tools.message.rules import RuleContext, check, hard_violations, sender_of
from tools.writing.writer import Exemplar, WritePlan, Writer, request_seed

SEGMENTS = (
    "lapsed_90d",
    "vip",
    "cart_abandoner",
    "birthday",
    "new_customer",
    "deal_seeker",
    "repeat_buyer",
    "lapsed_30d",
    "winback",
)
CHANNELS = ("sms", "push", "im", "email")
VOUCHERS = (
    {"type": "percent_off", "value": 20, "expires": "2026-12-31", "code": "BACK20"},
    {"type": "percent_off", "value": 15, "min_spend": 50},
    {"type": "amount_off", "value": 10, "code": "TEN4YOU"},
    {"type": "threshold", "value": 15, "min_spend": 100, "expires": "2026-11-30"},
    {"type": "free_shipping", "code": "SHIPFREE"},
    {"type": "bogo", "expires": "2027-01-15"},
    {"type": "gift"},
)
PRODUCTS = ("Trail Runner X", "Percale Sheets", "the Espresso Blend", "Aero Yoga Mat")
FEATURES = (
    "urgency",
    "personalised",
    "code_stated",
    "exclusivity",
    "social_proof",
    "emoji",
    "question",
)
EXEMPLARS = (
    None,
    Exemplar("t1", "We miss you! 30% off everything with code OLD30. Shop now: {link}", own=True),
    Exemplar("t2", "Hi there, Jane Smith here from Acme Goods. Big sale! Order today at {link}"),
    Exemplar("t3", "GOOD NEWS!!! Loved by 20,000 customers. 15% off until Jan 1."),
)
VOICES = ("friendly", "premium", "playful", "minimal", "bold")


CONTRARY = Context().contrary_confidence
"""The run's default confidence for evidence against best practice."""

SHOP = Merchant(merchant_id="m1", name="Shop")
"""Merchant m1, with the default voice and no forbidden words."""


def campaign(**fields: object) -> CampaignRequest:
    """A request of merchant m1 with these fields (the product: the Aero Yoga Mat unless
    given)."""
    product = {"product_category": "sports>yoga", "product_name": "Aero Yoga Mat"}
    return CampaignRequest.model_validate({"merchant_id": "m1", **product, **fields})


def texts(count: int = 300) -> list[tuple[CampaignRequest, Merchant, TemplateText]]:
    rng = random.Random(42)
    out = []
    for i in range(count):
        request = CampaignRequest.model_validate(
            {
                "merchant_id": f"m{i % 17}",
                "segment": rng.choice(SEGMENTS),
                "channel": rng.choice(CHANNELS),
                "voucher": rng.choice(VOUCHERS),
                "product_category": "apparel>shoes",
                "product_name": rng.choice(PRODUCTS),
                "original_template": f"Old text number {i}.",
            }
        )
        merchant = Merchant(
            merchant_id=request.merchant_id,
            name="Shop",
            brand_voice=rng.choice(VOICES),
            forbidden_words=rng.choice(((), ("exclusive",), ("hurry", "cheap"))),
        )
        use = ("offer_stated", "cta", *rng.sample(FEATURES, rng.randint(0, len(FEATURES))))
        plan = WritePlan(use=use, avoid=frozenset(rng.sample(("emoji", "long_copy"), 1)))
        canonical = request.segment if request.segment != "winback" else None
        template = Writer(request, merchant, canonical).write(plan, rng.choice(EXEMPLARS))
        out.append((request, merchant, template))
    return out


def test_no_seams() -> None:
    for _, _, template in texts():
        for text in filter(None, (template.body, template.subject)):
            assert "  " not in text and " ." not in text and " ," not in text, text
            assert not re.search(r"\b(\w+) \1\b", text, re.IGNORECASE), text  # doubled word
            assert not re.search(r"[.!?,]{2,}|,\.|\.,", text.replace("...", "")), text
            assert not re.search(r"\ba [aeiou]", text, re.IGNORECASE), text  # wrong article
            assert not re.search(r"\bthe the\b", text, re.IGNORECASE), text
            stripped = re.sub(r"\{(first_name|link)\}", "", text)
            assert "{" not in stripped and "}" not in stripped, text


def test_sentences_start_with_capitals_and_end_with_punctuation() -> None:
    for request, _, template in texts():
        body = template.body
        for sentence in re.split(r"(?<=[.!?])\s+", body):
            first = sentence.lstrip("{")
            assert first[:1].isupper() or first.startswith(("first_name", "link")), body
        last = re.sub(r"\s*[^\w\s.!?}]+$", "", body)  # a closing emoji
        assert last.endswith((".", "!", "?", "{link}")), body
        assert request.product_name.lower() in body.lower()


def test_offers_are_stated_from_the_voucher_and_nothing_else() -> None:
    for request, _, template in texts():
        text = f"{template.subject or ''}\n{template.body}"
        assert offer_fact_errors(text, request.voucher) == [], text
        assert "30%" not in text and "OLD30" not in text and "20,000" not in text


def test_the_writer_claims_no_stock_level_and_no_early_access() -> None:
    # Urgency without an expiry is a nudge, not a fact the voucher does not give.
    claims = re.compile(r"stocks? last|before it's gone|back in stock|early access", re.I)
    urgent = 0
    for request, _, template in texts():
        assert not claims.search(template.body), template.body
        urgent += request.voucher.expires is None and "wait" in template.body.lower()
    assert urgent > 10  # the undated urgency lines were used, and none of them claims stock


def test_the_urgency_it_writes_reads_as_urgency() -> None:
    # The writer's deadline lines are urgency by CRMAgent's own reading ("Use it by Dec 31"
    # was not, so a plan's urgency could quietly go missing and the pick could prefer it).
    plan = WritePlan(use=("offer_stated", "cta", "urgency"))
    for voucher in VOUCHERS:
        request = campaign(segment="lapsed_30d", channel="email", voucher=voucher)
        context = CopyContext("email", request.product_name)
        for seed in range(12):
            body = Writer(request, SHOP, "lapsed_30d", seed=seed).write(plan).body
            assert copy_features(body, None, context)["urgency"], body


def test_hard_rules_hold_by_construction() -> None:
    for request, merchant, template in texts():
        context = RuleContext(
            channel=request.channel.value,
            voucher=request.voucher,
            forbidden_words=merchant.forbidden_words,
            brand_voice=merchant.brand_voice,
            sender=sender_of(merchant, request),
        )
        hard = hard_violations(check(template, context))
        assert hard == [], (template, hard)
        if request.channel == "sms":
            assert sms_count(template.body).segments == 1


def test_another_merchants_names_are_not_carried_over() -> None:
    for _, _, template in texts():
        assert "Jane Smith" not in template.body and "Acme" not in template.body


def test_copy_varies_across_campaigns() -> None:
    bodies = [t.body for _, _, t in texts()]
    assert len(set(bodies)) >= 0.95 * len(bodies)
    openings = {b.split(" ", 2)[0] for b in bodies}
    assert len(openings) >= 15


def test_the_plan_is_carried_out() -> None:
    request = campaign(
        segment="lapsed_90d",
        channel="im",
        voucher=VOUCHERS[0],
        product_category="apparel",
        product_name="Trail Runner X",
    )
    context = CopyContext("im", request.product_name, "BACK20")
    for subset in itertools.combinations(
        ("urgency", "personalised", "code_stated", "exclusivity", "question"), 3
    ):
        template = Writer(request, SHOP, "lapsed_90d").write(
            WritePlan(use=("offer_stated", "cta", "offer_early", *subset))
        )
        found = copy_features(template.body, template.subject, context)
        assert all(found[f] for f in ("offer_stated", "cta", *subset)), (subset, template)
        assert found["offer_early"]


def test_same_request_same_text() -> None:
    request = campaign(
        segment="vip",
        channel="email",
        voucher=VOUCHERS[3],
        product_category="home",
        product_name="Percale Sheets",
    )
    assert rules_rewrite(request, SHOP, "vip", sms_segments=1) == rules_rewrite(
        request, SHOP, "vip", sms_segments=1
    )


def test_plan_follows_evidence_over_best_practice() -> None:
    urgency_hurts = Pattern(name="avoid_urgency", lift=0.6, confidence=0.95)
    emoji_helps = Pattern(name="emoji", lift=1.8, confidence=0.9)
    thin = Pattern(name="question", lift=1.5, confidence=0.55)
    plan = plan_from(
        [urgency_hurts, emoji_helps, thin],
        "lapsed_90d",
        "im",
        min_confidence=0.75,
        contrary_confidence=CONTRARY,
    )
    assert "urgency" in plan.avoid and "urgency" not in plan.use  # best practice said use it
    assert plan.use[:3] == ("offer_stated", "cta", "emoji")
    assert "question" not in plan.use
    assert len(
        plan_from(
            [emoji_helps], "vip", "im", min_confidence=0.75, contrary_confidence=CONTRARY, attempt=1
        ).use
    ) < len(
        plan_from([emoji_helps], "vip", "im", min_confidence=0.75, contrary_confidence=CONTRARY).use
    )
    # An e-mail of a line or two is best practice's to avoid, unless the evidence says so.
    assert (
        "short_copy"
        in plan_from([], "vip", "email", min_confidence=0.75, contrary_confidence=CONTRARY).avoid
    )
    assert (
        "short_copy"
        not in plan_from([], "vip", "im", min_confidence=0.75, contrary_confidence=CONTRARY).avoid
    )
    short_wins = Pattern(name="short_copy", lift=1.3, confidence=CONTRARY)
    plan = plan_from(
        [short_wins], "vip", "email", min_confidence=0.75, contrary_confidence=CONTRARY
    )
    assert "short_copy" in plan.use and "short_copy" not in plan.avoid


def test_going_against_best_practice_takes_clearer_evidence() -> None:
    # VIPs: best practice avoids urgency and uses the name. Evidence the other way must be
    # 90% sure (contrary_confidence) to decide; evidence that agrees, or where best practice
    # is silent, decides at min_confidence.
    for confidence, decides in ((0.8, False), (0.95, True)):
        urgency = Pattern(name="urgency", lift=1.3, confidence=confidence)
        no_name = Pattern(name="avoid_personalised", lift=0.8, confidence=confidence)
        plan = plan_from(
            [urgency, no_name], "vip", "im", min_confidence=0.6, contrary_confidence=CONTRARY
        )
        assert ("urgency" in plan.use) is decides and ("urgency" in plan.avoid) is not decides
        assert ("personalised" in plan.avoid) is decides
        assert ("personalised" in plan.use) is not decides
    question = Pattern(name="question", lift=1.3, confidence=0.7)  # best practice is silent
    assert (
        "question"
        in plan_from([question], "vip", "im", min_confidence=0.6, contrary_confidence=CONTRARY).use
    )
    loose = plan_from([no_name], "vip", "im", min_confidence=0.6, contrary_confidence=0.6)
    assert "personalised" in loose.avoid


def test_the_pick_among_phrasings_keeps_what_best_practice_kept() -> None:
    # Lapsed customers: best practice asks for urgency, and 80% sure evidence against it
    # is too unsure to turn that (contrary_confidence 0.9). The plan keeps urgency, so the
    # pick among phrasings may not drop it on that same evidence (it did in 2 of these 28
    # campaigns, picking an SMS whose deadline had not fitted over one whose had).
    no_urgency = Pattern(name="avoid_urgency", lift=0.8, confidence=0.8)
    question = Pattern(name="question", lift=1.3, confidence=0.9)
    for channel, voucher in itertools.product(CHANNELS, VOUCHERS):
        request = campaign(segment="lapsed_30d", channel=channel, voucher=voucher)
        plan = plan_from(
            [no_urgency, question],
            "lapsed_30d",
            channel,
            min_confidence=0.6,
            contrary_confidence=CONTRARY,
        )
        assert "urgency" in plan.use
        with_it, without_it = (
            write_best(request, SHOP, "lapsed_30d", plan, EXEMPLARS[1:3], patterns, drafts=6)
            for patterns in ([no_urgency, question], [question])
        )
        assert with_it == without_it


def test_minimal_message_is_the_offer_and_the_link() -> None:
    request = campaign(
        segment="vip",
        channel="sms",
        voucher=VOUCHERS[0],
        product_category="home",
        product_name="Percale Sheets",
    )
    body = minimal(request, SHOP).body
    assert "20%" in body and "{link}" in body and body.endswith("Reply STOP to opt out.")
    assert date(2026, 12, 31).strftime("%b") not in body


def test_the_best_draft_carries_what_the_patterns_favour() -> None:
    question_helps = Pattern(name="question", lift=1.6, confidence=0.95)
    shouting_hurts = Pattern(name="avoid_shouting", lift=0.5, confidence=0.99)
    thin = Pattern(name="emoji", lift=3.0, confidence=0.5)  # a coin flip weighs nothing
    asks = TemplateText(body="Ready for more? 20% off. Shop: {link}")
    tells = TemplateText(body="More for you. 20% off. Shop: {link}")
    shouts = TemplateText(body="Ready for more? HUGE NEWS TODAY NOW!! 20% off. Shop: {link}")
    request, _, _ = texts(1)[0]
    patterns = [question_helps, shouting_hurts, thin]
    assert draft_value(asks, request, patterns) > draft_value(tells, request, patterns)
    assert draft_value(shouts, request, patterns) < draft_value(tells, request, patterns)
    assert draft_value(TemplateText(body="🎉 20% off {link}"), request, [thin]) == 0


def test_more_drafts_never_score_lower_and_no_evidence_means_the_first() -> None:
    # More wanted than a short message holds: which parts fit depends on the phrasing.
    patterns = [
        Pattern(name=name, lift=lift, confidence=0.9)
        for name, lift in (
            ("exclusivity", 1.4),
            ("urgency", 1.3),
            ("code_stated", 1.3),
            ("question", 1.25),
            ("social_proof", 1.2),
        )
    ]
    better = 0
    for (request, merchant, _), exemplar in itertools.product(texts(60), EXEMPLARS):
        plan = plan_from(
            patterns,
            request.segment,
            request.channel.value,
            min_confidence=0.6,
            contrary_confidence=CONTRARY,
        )
        sources = [exemplar] if exemplar else []
        one = write_best(request, merchant, None, plan, sources, patterns, drafts=1)
        six = write_best(request, merchant, None, plan, sources, patterns, drafts=6)
        assert one == write(request, merchant, None, plan, exemplar)
        assert draft_value(six, request, patterns) >= draft_value(one, request, patterns)
        better += draft_value(six, request, patterns) > draft_value(one, request, patterns)
        assert write_best(request, merchant, None, plan, sources, [], drafts=6) == one
        # Phrased from several exemplars, the first one's first draft still leads a tie.
        several = [e for e in EXEMPLARS if e is not None]
        if exemplar is not None:
            several = [exemplar, *(e for e in several if e is not exemplar)]
            mixed = write_best(request, merchant, None, plan, several, patterns, drafts=6)
            # Each exemplar is phrased six ways: none of them alone does better.
            for alone in several:
                best = write_best(request, merchant, None, plan, [alone], patterns, drafts=6)
                value = draft_value(best, request, patterns)
                assert draft_value(mixed, request, patterns) >= value
            assert write_best(request, merchant, None, plan, several, [], drafts=6) == one
    assert better > 0


def test_of_drafts_valued_alike_the_offer_read_soonest_wins() -> None:
    def read_by(draft: TemplateText) -> int:
        offer = OFFER_PHRASE.search(draft.body)
        assert offer is not None
        return offer.end()

    request = campaign(segment="lapsed_30d", channel="im", voucher=VOUCHERS[5])
    plan = WritePlan(use=("offer_stated", "cta", "personalised"))
    alike = [Pattern(name="cta", lift=1.3, confidence=0.95)]  # every draft has its link
    writer = Writer(request, SHOP, "lapsed_30d", seed=request_seed(request))
    drafts = [writer.write(plan) for _ in range(6)]
    assert len({draft_value(d, request, alike, plan) for d in drafts}) == 1
    assert len({read_by(d) for d in drafts}) > 1  # the openings differ in length
    best = write_best(request, SHOP, "lapsed_30d", plan, [], alike, drafts=6)
    assert read_by(best) == min(read_by(d) for d in drafts) < max(read_by(d) for d in drafts)
    # Where evidence has the plan hold the offer back, the first draft still leads a tie.
    held = WritePlan(use=plan.use, avoid=frozenset({"offer_early"}))
    first = Writer(request, SHOP, "lapsed_30d", seed=request_seed(request)).write(held)
    assert write_best(request, SHOP, "lapsed_30d", held, [], alike, drafts=6) == first


def test_the_merchants_text_stays_only_when_no_draft_beats_it_and_it_is_sound() -> None:
    good = "Take 20% off the Aero Yoga Mat with code BACK20 🎉 Shop now: {link}"
    kept = campaign(
        segment="vip",
        channel="im",
        voucher=VOUCHERS[0],
        original_template=good,
    )
    emoji_helps = [Pattern(name="emoji", lift=2.5, confidence=0.99)]
    plan = WritePlan(use=("offer_stated", "cta"))  # emoji left out: no draft carries one
    assert write_best(kept, SHOP, None, plan, [], emoji_helps, drafts=3).body == good
    wrong = kept.model_copy(update={"original_template": good.replace("20%", "90%")})
    assert write_best(wrong, SHOP, None, plan, [], emoji_helps, drafts=3).body != (
        wrong.original_template
    )
    assert write_best(kept, SHOP, None, plan, [], [], drafts=3).body != good


def test_short_copy_gets_room_from_the_merchants_own_plain_lines_only() -> None:
    original = (
        "HUGE SALE!!! Our team picked every item with care, from the fabrics to the finish. "
        "Loved by 20,000 customers. We think you will like what we have been working on. "
        "Visit www.example.com today."
    )
    request = campaign(
        segment="vip",
        channel="email",
        voucher=VOUCHERS[2],
        original_template=original,
    )
    plain = WritePlan(use=("offer_stated", "cta"))
    roomy = WritePlan(use=("offer_stated", "cta"), avoid=frozenset({"short_copy"}))
    short = Writer(request, SHOP, "vip").write(plain).body
    long = Writer(request, SHOP, "vip").write(roomy).body
    assert "Our team picked every item with care" in long and "We think you will" in long
    assert "Our team" not in short and len(long) > len(short)
    for borrowed in ("SALE", "20,000", "www.example.com"):  # claims, numbers, links stay out
        assert borrowed not in long
    assert not offer_fact_errors(long, request.voucher)
    others = Exemplar("t9", "Take 10% off. Our craftsmen stitch every seam in Lisbon.", own=False)
    no_original = request.model_copy(update={"original_template": None})
    assert "Lisbon" not in Writer(no_original, SHOP, "vip").write(roomy, others).body


def test_a_feature_that_does_not_fit_takes_the_place_of_an_empty_opening() -> None:
    # A push body holds 110 characters (105 in its sweet spot): an opening line, the offer
    # and the call to action leave no room for urgency, which is worth more than the line.
    request = campaign(
        segment="lapsed_30d",
        channel="push",
        voucher={"type": "threshold", "value": 10, "min_spend": 110},
        product_category="beauty>skincare",
        product_name="Serum",
    )
    context = CopyContext("push", request.product_name)
    plan = WritePlan(use=("offer_stated", "cta", "urgency", "personalised"))
    carried = 0
    for seed in range(40):
        body = Writer(request, SHOP, "lapsed_30d", seed=seed).write(plan).body
        features = copy_features(body, None, context)
        carried += features["urgency"] and features["personalised"]
        assert len(body) <= 110
    assert carried >= 30  # (an opening kept beside them: 4 of 40; the longest phrasings miss)
    # A question the plan ranks above it is not given up for it.
    asking = WritePlan(use=("offer_stated", "cta", "question", "urgency"))
    for seed in range(20):
        body = Writer(request, SHOP, "lapsed_30d", seed=seed).write(asking).body
        assert "?" in body, body
    # A question ranked below it gives way, even an opening moved after the offer (the name
    # greets in the offer line already).
    for use in (("urgency", "question"), ("personalised", "offer_early", "urgency", "question")):
        ranked = WritePlan(use=("offer_stated", "cta", *use))
        urgent = 0
        for seed in range(40):
            body = Writer(request, SHOP, "lapsed_30d", seed=seed).write(ranked).body
            features = copy_features(body, None, context)
            urgent += features["urgency"] and features["offer_early"]
        assert urgent >= 30, use  # (it was 4 and 0 of 40 while any question opening stayed)


def test_the_products_name_gives_way_to_a_feature_planned_above_it() -> None:
    # Naming the product is best practice only (a past template's product is not on record
    # to learn from). In a 110-character push, urgency and the code that the evidence ranks
    # above it get in by the offer line letting the long name go; the offer stays whole.
    for voucher in VOUCHERS:
        request = campaign(
            segment="lapsed_30d",
            channel="push",
            voucher=voucher,
            product_name="Alpine Vitamin C Serum Deluxe",
        )
        ranked = WritePlan(use=("offer_stated", "cta", "urgency", "code_stated", "product_named"))
        named = WritePlan(use=("offer_stated", "cta", "product_named", "urgency", "code_stated"))
        for seed in range(10):
            body = Writer(request, SHOP, "lapsed_30d", seed=seed).write(ranked).body
            features = copy_features(body, None, CopyContext("push", request.product_name))
            assert len(body) <= 110 and features["offer_stated"], body
            assert features["urgency"], body
            assert not offer_fact_errors(body, request.voucher), body
            assert body[:1].isupper() or body.startswith("{first_name}"), body
            # Ranked above urgency, the name stays, and urgency waits for room.
            kept = Writer(request, SHOP, "lapsed_30d", seed=seed).write(named).body
            assert request.product_name in kept, kept
    # With room to spare, the product keeps its place in the offer line.
    roomy = campaign(segment="lapsed_30d", channel="email", voucher=VOUCHERS[0])
    plan = WritePlan(use=("offer_stated", "cta", "urgency", "code_stated", "product_named"))
    assert roomy.product_name in Writer(roomy, SHOP, "lapsed_30d").write(plan).body


def test_short_copy_when_the_data_favours_it() -> None:
    request = campaign(
        segment="vip",
        channel="im",
        voucher=VOUCHERS[0],
    )
    rich = ("offer_stated", "cta", "urgency", "code_stated", "exclusivity", "emoji")
    middle = LIMITS["im"].middle_body_chars  # 133: the geometric middle of 80-220
    over = 0
    for seed in range(20):
        short = Writer(request, SHOP, "vip", seed=seed).write(
            WritePlan(use=(*rich[:2], "short_copy", *rich[2:]))
        )
        assert len(short.body) < middle, short.body
        plain = Writer(request, SHOP, "vip", seed=seed).write(WritePlan(use=rich))
        over += len(plain.body) >= middle
    assert over >= 10  # without short_copy in the plan, most run past the middle


def test_a_new_campaign_gets_room_from_the_merchants_past_texts() -> None:
    # No current text to draw on (a new campaign): the merchant's past messages lend their
    # plain sentences, never their numbers, claims or links.
    request = campaign(
        segment="vip",
        channel="email",
        voucher=VOUCHERS[2],
    )
    past = (
        "Buy one mat, get one free this weekend. Everything is half price in store. Reply "
        "STOP to opt out. Text STOP to unsubscribe from these messages.",
        "Every mat is cut and finished by hand in our own workshop. Rated 5 stars by 900 "
        "customers. Now 30% off at www.example.com.",
        "We choose our rubber and cork with care, and it shows in the grip.",
        "The Luna Cork Block just landed.",
        "Your favourite mats are back in stock.",
    )
    roomy = WritePlan(use=("offer_stated", "cta"), avoid=frozenset({"short_copy"}))
    bare = Writer(request, SHOP, "vip").write(roomy).body
    padded = Writer(request, SHOP, "vip", voice=past).write(roomy).body
    assert "cut and finished by hand" in padded and "cut and finished" not in bare
    # Numbers, claims and links stay out; so do offers in words (a past campaign's, not
    # this one's), opt-out lines (an SMS rule the writer applies itself), what was said
    # of another product (true of that one, not of the Aero Yoga Mat) and news of the stock
    # (true the day it was sent).
    for borrowed in ("Rated", "900", "30%", "www.example.com", "get one", "half", "STOP", "stock"):
        assert borrowed not in padded
    assert "Luna Cork Block" not in padded
    assert not offer_fact_errors(padded, request.voucher)


def test_news_of_the_stock_carries_over_only_from_the_campaigns_own_text() -> None:
    news = "The Aero Yoga Mat is back in stock."
    roomy = WritePlan(use=("offer_stated", "cta"), avoid=frozenset({"short_copy"}))
    current = campaign(
        segment="vip", channel="email", voucher=VOUCHERS[2], original_template=f"{news} {{link}}"
    )
    today = Exemplar("original", f"{news} {{link}}", own=True)
    assert Writer(current, SHOP, "vip").write(roomy, today).body.startswith(news)
    # The same words in a past message were news the day it was sent.
    new = campaign(segment="vip", channel="email", voucher=VOUCHERS[2])
    past = Exemplar("t7", f"{news} {{link}}", own=True)
    assert "in stock" not in Writer(new, SHOP, "vip", voice=(news,)).write(roomy, past).body


def test_social_proof_is_only_ever_the_merchants_own_claim() -> None:
    request = campaign(
        segment="new_customer",
        channel="im",
        voucher=VOUCHERS[2],
    )
    context = CopyContext("im", request.product_name, "TEN4YOU")
    plan = WritePlan(use=("offer_stated", "cta", "social_proof"))
    for seed in range(20):
        body = Writer(request, SHOP, "new_customer", seed=seed).write(plan).body
        assert not copy_features(body, None, context)["social_proof"], body
    past = ("Rated 4.9 by 2,000 customers.", "Our mats are a customer favourite since we opened.")
    body = Writer(request, SHOP, "new_customer", voice=past).write(plan).body
    assert "a customer favourite since we opened" in body.lower() and "4.9" not in body


def test_with_nothing_of_the_merchants_to_lend_no_stock_line_fills_the_room() -> None:
    # A new campaign, no past texts: an e-mail the data wants longer gets no line the writer
    # made up ("Thank you for being part of our community" read the same for every shop).
    request = campaign(segment="vip", channel="email", voucher=VOUCHERS[2])
    roomy = WritePlan(use=("offer_stated", "cta"), avoid=frozenset({"short_copy"}))
    plain = WritePlan(use=("offer_stated", "cta"))
    for segment in SEGMENTS:
        asked = request.model_copy(update={"segment": segment})
        body, bare = (Writer(asked, SHOP, segment).write(p).body for p in (roomy, plain))
        assert "community" not in body and "whenever it suits you" not in body, segment
        assert len(body) <= len(bare) + 60, segment
