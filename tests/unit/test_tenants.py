"""What a key scoped to merchants sees of a result that learned from other merchants."""

from __future__ import annotations

from pathlib import Path

from crmagent.tenants import Principal, visible
from tools.crm import Store, TemplateRecord
from tools.domain import (
    Edit,
    GenerationResult,
    GuidanceStep,
    Pattern,
    Reference,
    RuleReport,
    Scores,
    TemplateText,
)


def _record(template_id: str, merchant: str) -> TemplateRecord:
    return TemplateRecord(
        template_id=template_id, merchant_id=merchant, segment="vip", channel="sms",
        voucher_type="percent_off", voucher_value=10.0, min_spend=None, expires=None,
        code=None, product_category="apparel", text="Hi", subject=None, sends=100, opens=50,
        clicks=10, conversions=2, revenue=None, sent_at="2026-10-01",
    )  # fmt: skip


def test_a_scoped_key_sees_others_templates_as_statistics_only(tmp_path: Path) -> None:
    with Store(tmp_path / "crm.sqlite") as store, store.transaction():
        store.put_templates([_record("mine-1", "m1"), _record("theirs-1", "m2")])
    result = GenerationResult(
        mode="retrieval",
        template=TemplateText(body="Take 10% off: {link}"),
        patterns=[
            Pattern(
                name="urgency",
                description="as 'Saltwater Club ends tonight' shows",
                lift=1.3,
                confidence=0.9,
                evidence=["mine-1", "theirs-1"],
            ),
        ],
        references=[
            Reference(
                template_id="theirs-1",
                merchant_id="m2",
                similarity=0.8,
                text="Saltwater Club: SALT10 ends tonight",
                cvr=0.03,
            ),
        ],
        guidance=[GuidanceStep(step=1, text="Add a deadline.", evidence=["theirs-1"])],
        edits=[
            Edit(
                kind="urgency",
                before="",
                after="Ends Friday.",
                reason="deadlines work",
                evidence=["theirs-1", "mine-1"],
            )
        ],
        rule_report=RuleReport(passed=True),
        scores=Scores(audience_match=0.5, marketing_effectiveness=0.5, predicted_cvr=0.02),
    )
    seen = visible(result, Principal("k1", frozenset({"m1"}), "editor"), tmp_path)
    shown = seen.model_dump_json()
    assert "Saltwater" not in shown and "SALT10" not in shown and "theirs-1" not in shown
    assert seen.references[0].similarity == 0.8 and seen.references[0].cvr == 0.03
    assert seen.patterns[0].evidence == ["mine-1"] and seen.edits[0].evidence == ["mine-1"]
    assert seen.patterns[0].description.startswith("gives a reason to act now")
    admin = visible(result, Principal("env:x", None, "admin"), tmp_path)
    assert admin == result
