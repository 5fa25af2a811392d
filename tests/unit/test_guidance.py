"""Guidance asks the merchant for a claim the agent will not invent."""

from __future__ import annotations

from agents.guidance import write_guidance
from agents.segment_analyst import SegmentAnalysis
from tools.domain import Pattern, Reference, RuleReport

ANALYSIS = SegmentAnalysis(
    segment="new_customer", canonical="new_customer", segment_templates=400, segment_cvr=0.02
)
REFERENCES = [Reference(template_id="t1", merchant_id="m2", similarity=0.8, text="Hi.")]
PROOF = Pattern(name="social_proof", lift=1.4, confidence=0.95, sample_size=9000)


def steps(written: dict[str, bool], patterns: list[Pattern]) -> list[str]:
    guidance = write_guidance(
        "retrieval",
        ANALYSIS,
        patterns,
        REFERENCES,
        RuleReport(passed=True),
        "im",
        written,
        min_confidence=0.75,
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
