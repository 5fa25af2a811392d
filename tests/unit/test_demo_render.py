"""What `crmagent demo` and `crmagent generate` print for a campaign."""

from __future__ import annotations

from rich.console import Console

from crmagent.demo import render
from tests.requests import REQUEST
from tools.domain import GenerationResult, RuleReport, Scores, TemplateText, Usage

OFFLINE = GenerationResult(
    mode="rules",
    template=TemplateText(body="Save 20% on the Trail runner X. Shop now: {link}"),
    rule_report=RuleReport(passed=True),
    scores=Scores(audience_match=0.9, marketing_effectiveness=0.8, predicted_cvr=0.01),
)


def printed(result: GenerationResult) -> str:
    console = Console(record=True, width=240)
    render(console, "a campaign", REQUEST, result)
    return console.export_text()


def test_a_models_part_and_why_its_answer_was_replaced_are_shown() -> None:
    reason = (
        "template: the model's answer was replaced by the grounded one "
        "(the answer was cut off at the token limit)"
    )
    text = printed(
        OFFLINE.model_copy(
            update={
                "model": "gguf:/models/smol.gguf",
                "degraded": True,
                "degraded_reason": reason,
                "usage": Usage(calls=3, judge_calls=1, input_tokens=4734, output_tokens=217),
            }
        )
    )
    spent = "model gguf:/models/smol.gguf: 3 call(s), 1 by the judge; 4,734 tokens in, 217 out"
    assert spent in text
    assert f"degraded: {reason}" in text


def test_offline_shows_no_model_line() -> None:
    text = printed(OFFLINE)
    assert "model " not in text and "degraded" not in text
    assert "scores: audience match 0.90" in text
