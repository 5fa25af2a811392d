"""Guidance asks the merchant for what the agent will not invent: a claim, or sentences
about the product when the evidence wants longer copy."""

from __future__ import annotations

from agents.evaluate import audience_match
from agents.guidance import write_guidance
from agents.segment_analyst import SegmentAnalysis
from tools.domain import Edit, Pattern, Reference, RuleReport

ANALYSIS = SegmentAnalysis(
    segment="new_customer", canonical="new_customer", segment_templates=400, segment_cvr=0.02
)
REFERENCES = [Reference(template_id="t1", merchant_id="m2", similarity=0.8, text="Hi.")]
PROOF = Pattern(name="social_proof", lift=1.4, confidence=0.95, sample_size=9000)


def steps(written: dict[str, bool], patterns: list[Pattern], channel: str = "im") -> list[str]:
    guidance = write_guidance(
        "retrieval",
        ANALYSIS,
        patterns,
        REFERENCES,
        RuleReport(passed=True),
        channel,
        written,
        min_confidence=0.75,
        contrary_confidence=0.9,
    )
    return [g.text for g in guidance]


def test_evidence_short_of_overruling_best_practice_says_so() -> None:
    no_name = Pattern(
        name="avoid_personalised", lift=0.85, confidence=0.8, sample_size=6000, evidence=["t3"]
    )
    guidance = write_guidance(
        "retrieval",
        ANALYSIS.model_copy(update={"canonical": "vip", "segment": "vip"}),
        [no_name],
        REFERENCES,
        RuleReport(passed=True),
        "im",
        {"personalised": True},
        min_confidence=0.75,
        contrary_confidence=0.9,
    )
    texts = [g.text for g in guidance]
    assert not any(t.startswith("Skip the name") for t in texts)
    (kept,) = [g for g in guidance if "as best practice has it" in g.text]
    assert kept.text.startswith("Greet the customer by name") and "80% confident" in kept.text
    assert "short of the 90%" in kept.text and kept.evidence == ["t3"]


def test_audience_match_weighs_evidence_only_where_it_decides() -> None:
    no_name = Pattern(name="avoid_personalised", lift=0.5, confidence=0.8, sample_size=6000)
    named = {"personalised": True, "offer_stated": True, "cta": True}
    # VIPs by name is best practice; evidence 80% sure against it does not overrule it...
    kept = audience_match(named, [no_name], "vip", "im", 0.75, 0.9)
    # ...evidence 95% sure does, and the same copy then misses what the audience wants.
    overruled = audience_match(
        named, [no_name.model_copy(update={"confidence": 0.95})], "vip", "im", 0.75, 0.9
    )
    assert kept > overruled


def _sure(name: str, lift: float) -> Pattern:
    return Pattern(name=name, lift=lift, confidence=0.99, sample_size=8000, evidence=["t9"])


def _more(texts: list[str]) -> str:
    (more,) = [t for t in texts if t.startswith("More evidence.")]
    assert texts[-1] == more  # gathered last
    return more


def test_social_proof_the_data_favours_is_left_to_the_merchant_under_more_evidence() -> None:
    asked = steps({"social_proof": False}, [PROOF])
    assert "citing other customers" in _more(asked) and "not ours to invent" in _more(asked)
    # Carried (the merchant's own claim): checked, not asked for again.
    carried = steps({"social_proof": True}, [PROOF])
    assert not any("citing other customers" in s for s in carried)
    assert any("is true for this product" in s for s in carried)


def test_a_merchant_reads_at_most_six_steps_none_asking_for_what_the_copy_does_not_do() -> None:
    followed = [_sure(n, 1.3) for n in ("offer_early", "cta", "personalised", "urgency")]
    followed += [_sure(f"avoid_{n}", 0.8) for n in ("question", "exclusivity", "code_stated")]
    against = [_sure("emoji", 1.2), _sure("social_proof", 1.3), _sure("product_named", 1.2)]
    written = {"offer_early": True, "cta": True, "personalised": True, "urgency": True}
    texts = steps(written, [*followed, *against], channel="sms")
    assert len(texts) <= 6
    more = _more(texts)
    # What the message goes against is said once, with the reason, under "More evidence".
    assert "Not done: add one emoji (1.20x)" in more
    for text in texts[:-1]:
        assert not text.startswith(("Add one emoji", "Name the product", "Mention what other"))
    # The steps shown are the message's own decisions, with their numbers.
    assert texts[1].startswith("Lead with the offer") and "n=8,000 sends" in texts[1]


def test_the_words_the_history_favours_are_a_step_of_their_own_with_their_evidence() -> None:
    call = Edit(
        kind="wording",
        before="Shop now: {link}",
        after="Claim it now: {link}",
        reason='messages that called to action with "Claim it now" converted 1.40x as often '
        "as their A/B siblings that did not (90% interval 1.12-1.75)",
        pattern="wording:call",
        evidence=["t7", "t8"],
    )
    guidance = write_guidance(
        "retrieval",
        ANALYSIS,
        [],
        REFERENCES,
        RuleReport(passed=True),
        "sms",
        {"cta": True},
        min_confidence=0.75,
        contrary_confidence=0.9,
        edits=1,
        worded=[call],
    )
    step = guidance[1]
    assert step.text.startswith("Use the words your customers answered: ")
    assert '"Claim it now" converted 1.40x' in step.text and step.evidence == ["t7", "t8"]
