"""The writer model held like copy (scripted chat models, no sockets): it words the grounded
draft's lines with the facts in slots, a line that fails a check is put back rather than
retried, a retry names exactly the failing span, guidance steps are refused when they
repeat the message, give no action, cite what they were not given or name no pattern, and
of several candidates the one the patterns predict converts best is kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.template import DraftStep, check_steps, write_with_model
from arena.world import build_world
from crmagent.api import generate
from crmagent.measure.fake_openai import good_reply
from tests.fakes import ScriptedChatModel
from tests.requests import WITH_ORIGINAL as REQUEST
from tools import models
from tools.domain import CampaignRequest, Merchant, Pattern, TemplateText
from tools.models import Spend
from tools.writing.writer import WritePlan


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("writer")
    build_world(folder, seed=1)
    return folder


def _lines(prompt: str) -> list[str]:
    block = prompt.split("<merchant_template>")[-1].split("</merchant_template>")[0]
    return re.findall(r"^\d+ \([^)]*\): (.*)$", block, re.MULTILINE)


def _answer(lines: list[str], *steps: dict[str, Any]) -> dict[str, Any]:
    return {"lines": lines, "guidance": list(steps)}


GOOD_STEP = {"text": "Lead with the offer.", "pattern": "offer_stated", "evidence": []}


@pytest.fixture
def scripted() -> Iterator[dict[str, ScriptedChatModel]]:
    made: dict[str, ScriptedChatModel] = {}
    replies: dict[str, Any] = {}

    def factory(name: str) -> ScriptedChatModel:
        made[name] = ScriptedChatModel(reply=replies[name])
        return made[name]

    def script(name: str, reply: Any) -> str:
        replies[name] = reply
        return f"scripted:{name}"

    models.register("scripted", factory)
    made["script"] = script  # type: ignore[assignment]
    yield made
    models.register("scripted", factory)


def run(home: Path, model: str, **settings: Any) -> Any:
    # The 'lines' writer (a small local model's): the rewrite writer is tested in
    # test_rewrite.py.
    settings.setdefault("writer_mode", "lines")
    return generate(
        REQUEST, home=str(home), model=model, modes=["rules"], judge_model="offline", **settings
    )


def test_the_model_sees_slots_not_facts_and_never_the_original(
    home: Path, scripted: dict[str, Any]
) -> None:
    model = scripted["script"]("good", good_reply)
    result = run(home, model)
    prompt = scripted["good"].prompts[0]
    shown = "\n".join(_lines(prompt))
    # The offer, the code and the date are slots; no number reaches the model's lines.
    assert "{offer}" in shown and "{code}" in shown and not re.search(r"\d", shown)
    assert "BACK20" not in prompt and REQUEST["original_template"] not in prompt
    assert not result.degraded and result.usage.calls == 1
    assert "20%" in result.template.body and "BACK20" in result.template.body


def test_a_line_that_breaks_a_rule_is_put_back_not_retried(
    home: Path, scripted: dict[str, Any]
) -> None:
    def reply(schema: str, prompt: str) -> dict[str, Any]:
        lines = _lines(prompt)
        # The first line is reworded well; the second states a discount of its own.
        worded = ["{first_name}, good to see you!", "Take 30% off: " + lines[1], *lines[2:]]
        return _answer(worded, GOOD_STEP)

    result = run(home, scripted["script"]("partly", reply))
    assert scripted["partly"].calls["ModelDraft"] == 1  # repaired, not retried
    assert not result.degraded and "30%" not in result.template.body
    assert "good to see you!" in result.template.body
    rewrite = next(e for e in result.edits if e.kind == "model_rewrite")
    assert "states 30%" in rewrite.reason and "put back as the draft had them" in rewrite.reason


def test_a_retry_names_exactly_the_failing_span(home: Path, scripted: dict[str, Any]) -> None:
    def reply(schema: str, prompt: str) -> dict[str, Any]:
        lines = _lines(prompt)
        if "Fix exactly these spans" in prompt:
            return _answer(lines, GOOD_STEP)
        return _answer([f"Take 30% off: {line}" for line in lines], GOOD_STEP)

    result = run(home, scripted["script"]("once", reply))
    assert scripted["once"].calls["ModelDraft"] == 2 and not result.degraded
    feedback = scripted["once"].prompts[1].split("Fix exactly these spans")[1]
    assert 'line 1 "Take 30% off: ' in feedback and "states 30%" in feedback


@pytest.mark.parametrize(
    ("step", "why"),
    [
        ({"text": "We miss you!", "pattern": "offer_stated"}, "no action"),
        ({"text": "Customers love a stated offer.", "pattern": "offer_stated"}, "no action"),
        (
            {"text": "Add a code: it lifts sales 7.3x.", "pattern": "offer_stated"},
            "a number not in the patterns",
        ),
        (
            {"text": "Cite the winner.", "pattern": "offer_stated", "evidence": ["t999"]},
            "cites unknown evidence t999",
        ),
        ({"text": "Lead with the offer.", "pattern": ""}, "names no pattern"),
        ({"text": "Lead with the offer.", "pattern": "free_lunch"}, "names no pattern"),
    ],
)
def test_guidance_steps_are_checked_like_copy(
    home: Path, scripted: dict[str, Any], step: dict[str, Any], why: str
) -> None:
    def reply(schema: str, prompt: str) -> dict[str, Any]:
        return _answer(_lines(prompt), step, GOOD_STEP)

    result = run(home, scripted["script"]("steps", reply))
    # The bad step is refused, the good one kept: one call, nothing degraded.
    assert [g.text for g in result.guidance] == ["Lead with the offer."]
    assert not result.degraded and result.usage.calls == 1
    kept, refused = check_steps(
        [DraftStep.model_validate(step)],
        result.template,
        {"offer_stated": ["t1"]},
        "- offer_stated: 1.24x, n=84745, t1",
    )
    assert not kept and why in refused[0]


def test_a_step_that_repeats_the_message_is_refused() -> None:
    message = TemplateText(
        body="Meadow House: We miss you, come back for 20% off the Trail runner X"
    )
    steps = [
        DraftStep(text="Say we miss you, come back for 20% off the Trail runner X", pattern="cta")
    ]
    kept, refused = check_steps(steps, message, {"cta": []}, "- cta: 1.41x, n=20")
    assert not kept and "repeats the message" in refused[0]


def test_guidance_all_refused_degrades_with_the_reasons(
    home: Path, scripted: dict[str, Any]
) -> None:
    def reply(schema: str, prompt: str) -> dict[str, Any]:
        return _answer(_lines(prompt), {"text": "The offer works.", "pattern": "nothing"})

    result = run(home, scripted["script"]("mute", reply), model_tries=2)
    assert result.degraded and "names no pattern" in (result.degraded_reason or "")
    assert result.guidance  # the grounded guidance, in its place


def test_of_several_candidates_the_patterns_pick_the_best() -> None:
    request = CampaignRequest.model_validate(REQUEST)
    merchant = Merchant(merchant_id="m007", name="Meadow House")
    draft = TemplateText(
        body="Meadow House: We miss you. Come back for 20% off the Trail runner X. "
        "Shop now: {link} Reply STOP to opt out."
    )
    question = Pattern(
        name="question",
        description="asks a question",
        lift=1.5,
        ci_low=1.2,
        ci_high=1.9,
        confidence=0.99,
        sample_size=5000,
        evidence=["t1"],
    )

    def reply(schema: str, prompt: str) -> dict[str, Any]:
        lines = _lines(prompt)
        asks = ["Ready to run again?", *lines[1:]]
        return {
            "candidates": [{"lines": lines}, {"lines": asks}],
            "guidance": [
                {"text": "Ask a question first.", "pattern": "question", "evidence": ["t1"]}
            ],
        }

    model = ScriptedChatModel(reply=reply)
    spend = Spend()
    written = write_with_model(
        model,
        request,
        merchant,
        [question],
        WritePlan(use=("offer_stated", "cta", "question")),
        draft,
        ["t1"],
        sms_segments=1,
        spend=spend,
        method="json_schema",
        tries=1,
        candidates=2,
    )
    assert written is not None and written.candidates == 2 and spend.calls == 1
    assert "Ready to run again?" in written.template.body
    assert "2 different versions" in model.prompts[0]


def test_a_pasted_email_keeps_its_reading_in_the_edits_when_a_model_words_it(
    home: Path, scripted: dict[str, Any]
) -> None:
    def reworded(schema: str, prompt: str) -> dict[str, Any]:
        answer = good_reply(schema, prompt)
        if schema == "ModelDraft":  # a wording of its own: the model's edit replaces the draft
            answer["lines"][-1] = answer["lines"][-1].rstrip(".") + ", today."
        return answer

    model = scripted["script"]("reworded", reworded)
    pasted = {
        **REQUEST,
        "channel": "email",
        "original_template": f"Subject: We miss you | Body: {REQUEST['original_template']}",
    }
    result = generate(
        pasted, home=str(home), model=model, modes=["rules"], judge_model="offline",
        writer_mode="lines",
    )  # fmt: skip
    kinds = [e.kind for e in result.edits]
    assert not result.degraded and "model_rewrite" in kinds
    assert kinds[0] == "pasted" and "Subject:" not in result.template.body
