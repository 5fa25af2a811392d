"""Guidance asks the merchant for what the agent will not invent: a claim, or sentences
about the product when the evidence wants longer copy."""

from __future__ import annotations

from agents.evaluate import audience_match
from agents.guidance import write_guidance
from agents.segment_analyst import SegmentAnalysis
from tools.domain import Pattern, Reference, RuleReport

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


def test_social_proof_the_data_favours_is_asked_of_the_merchant() -> None:
    asked = [s for s in steps({"social_proof": False}, [PROOF]) if s.startswith("Add a line")]
    assert len(asked) == 1 and "not ours to invent" in asked[0]
    # Carried (the merchant's own claim): checked, not asked for again.
    carried = steps({"social_proof": True}, [PROOF])
    assert not [s for s in carried if s.startswith("Add a line")]
    assert any("is true for this product" in s for s in carried)
    # Not favoured, or not surely: nothing to ask.
    for pattern in (
        PROOF.model_copy(update={"lift": 0.8, "name": "avoid_social_proof"}),
        PROOF.model_copy(update={"confidence": 0.6}),
    ):
        assert not [s for s in steps({}, [pattern]) if s.startswith("Add a line")]


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


def test_room_the_data_wants_and_the_draft_lacks_is_asked_of_the_merchant() -> None:
    cramped = Pattern(
        name="avoid_short_copy", lift=0.8, confidence=0.9, sample_size=5000, evidence=["t7"]
    )
    asked = [
        s for s in steps({"short_copy": True}, [cramped], "email") if s.startswith("Still short")
    ]
    assert len(asked) == 1
    assert "under 300 characters" in asked[0] and "1.25x" in asked[0]
    assert "within one SMS" in steps({"short_copy": True}, [cramped], "sms")[-1]
    # Long enough already, short copy favoured, or not surely: nothing to ask.
    for written, pattern in (
        ({"short_copy": False}, cramped),
        ({"short_copy": True}, cramped.model_copy(update={"lift": 1.2, "name": "short_copy"})),
        ({"short_copy": True}, cramped.model_copy(update={"confidence": 0.6})),
    ):
        assert not [s for s in steps(written, [pattern], "email") if s.startswith("Still short")]


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


def test_every_sure_pattern_is_explained_and_one_the_message_goes_against_says_why() -> None:
    followed = [_sure(n, 1.3) for n in ("offer_early", "cta", "personalised", "urgency")]
    followed += [_sure(f"avoid_{n}", 0.8) for n in ("question", "exclusivity", "code_stated")]
    against = [
        _sure("shouting", 1.5),
        _sure("avoid_offer_stated", 0.7),
        _sure("emoji", 1.2),
        _sure("social_proof", 1.3),
        _sure("product_named", 1.2),
    ]
    written = {
        "offer_early": True,
        "cta": True,
        "personalised": True,
        "urgency": True,
        "offer_stated": True,
    }

    def explained(voice: str, code: str | None) -> list[str]:
        guidance = write_guidance(
            "retrieval",
            ANALYSIS,
            [*followed, *against],
            REFERENCES,
            RuleReport(passed=True),
            "sms",
            written,
            min_confidence=0.75,
            contrary_confidence=0.95,
            voice=voice,
            code=code,
        )
        return [g.text for g in guidance]

    texts = explained("premium", "WELCOME10")
    # All seven the message follows, past the first five, each with its evidence.
    for start in ("Lead with the offer", "End with one clear", "Greet the customer",
                  "Give a deadline", "Don't open with a question", "Drop the members-only",
                  "Leave the code out"):  # fmt: skip
        (step,) = [t for t in texts if t.startswith(start)]
        assert "The new message does not" not in step
    reasons = {t.split(":")[0]: t.split("The new message does not: ")[1] for t in texts
               if "The new message does not" in t}  # fmt: skip
    assert reasons == {
        "Capitals can work here": "CRMAgent never writes them (capitals and '!!!' read as "
        "spam and cut trust).",
        "Keep the offer out of it": "every message states its offer and ends with the link "
        "(a concrete offer beats a vague one in every segment).",
        "Add one emoji": "your brand voice (premium) keeps emoji out.",
        "Name the product": "it did not fit in one sms message beside the steps above; try "
        "it in your next A/B send.",
    }
    # Social proof is asked of the merchant in a step of its own, not reasoned away.
    assert any(t.startswith("Add a line citing other customers") for t in texts)
    # A friendly voice has no reason to drop emoji; a voucher without a code none to state.
    friendly = explained("friendly", None)
    assert any(t.startswith("Add one emoji") and "did not fit" in t for t in friendly)
    code = next(t for t in explained("friendly", None) if t.startswith("Leave the code out"))
    assert "The new message does not" not in code
    wanted = write_guidance(
        "retrieval",
        ANALYSIS,
        [_sure("code_stated", 1.3)],
        REFERENCES,
        RuleReport(passed=True),
        "im",
        {},
        min_confidence=0.75,
        contrary_confidence=0.95,
    )
    assert wanted[1].text.endswith("The new message does not: this voucher has no code.")


def test_which_messages_the_evidence_was_read_in_is_said_once() -> None:
    patterns = [_sure("offer_early", 1.3), _sure("avoid_question", 0.8), _sure("emoji", 1.2)]
    texts = steps({"offer_early": True}, patterns)
    basis = "in all 400 new_customer messages on record, "
    assert sum(basis in t for t in texts) == 1
    # Each pattern's own step still carries its numbers.
    for start in ("Lead with the offer", "Don't open with a question", "Add one emoji"):
        (step,) = [t for t in texts if t.startswith(start)]
        assert "x as often" in step and "n=8,000 sends; 99% confident" in step
