"""The in-process local model, ``CRMAGENT_MODEL=gguf:/path/model.gguf``: llama.cpp runs the
file inside the test's process. The model tests run when ``CRMAGENT_TEST_GGUF`` names a GGUF
file; `make test` fetches a small one (SmolLM2-135M) for them."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from arena.world import build_world
from crmagent.api import generate
from tests.requests import WITH_ORIGINAL as REQUEST
from tools.domain import Voucher
from tools.message.offers import offer_fact_errors
from tools.models import gguf

GGUF = os.environ.get("CRMAGENT_TEST_GGUF", "")
needs_model = pytest.mark.skipif(
    not GGUF, reason="CRMAGENT_TEST_GGUF names no GGUF file (make test fetches one)"
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gguf")
    build_world(folder, seed=1)
    return folder


@needs_model
def test_a_request_runs_on_the_model_in_this_process(home: Path) -> None:
    spec = f"gguf:{GGUF}"
    result = generate(REQUEST, home=str(home), model=spec, model_tries=1, model_timeout=120)

    assert result.model == spec
    # Each role asked the model once (one try each): pattern notes, the draft, the judge.
    assert result.usage.calls == 2 and result.usage.judge_calls == 1
    assert result.usage.input_tokens  # the model answered and llama.cpp counted its tokens
    # A small model's answers are held to the same checks: what fails them is replaced by
    # the grounded answer, with the reason; a wrong offer is never returned.
    assert result.rule_report.passed
    voucher = Voucher.model_validate(REQUEST["voucher"])
    assert offer_fact_errors(result.template.body, voucher) == []
    if result.degraded:
        assert result.degraded_reason and "replaced by the grounded one" in result.degraded_reason
    assert 0 <= result.scores.marketing_effectiveness <= 1


@needs_model
def test_the_models_port_answers_only_this_process() -> None:
    model = gguf.chat_model(GGUF, timeout=60)
    address = str(model.openai_api_base).removesuffix("/v1")
    assert address.startswith("http://127.0.0.1:")
    body = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
    refused = httpx.post(f"{address}/v1/chat/completions", json=body, timeout=60)
    assert refused.status_code == 401
    key = model.openai_api_key
    assert isinstance(key, SecretStr)
    answered = httpx.post(
        f"{address}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key.get_secret_value()}"},
        timeout=60,
    )
    assert answered.status_code == 200
    # One server per file, however many clients ask for it.
    assert gguf.chat_model(GGUF, timeout=5).openai_api_base == model.openai_api_base


def test_a_file_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("xllamacpp")
    broken = tmp_path / "notes.gguf"
    broken.write_text("not a model")
    with pytest.raises(gguf.ModelFileError, match=r"notes\.gguf.*could not load it"):
        gguf.chat_model(str(broken), timeout=5)


@needs_model
def test_the_model_bench_measures_the_small_model(tmp_path: Path) -> None:
    from crmagent.measure.bench import model_bench

    figures = model_bench(
        tmp_path, f"gguf:{GGUF}", requests=2, analyst_model="offline", timeout=300, tries=1
    )
    # One try each: exactly one writer call per template, whatever the model answered.
    assert figures["calls_per_template"] == 1.0
    # The prompt carries the draft's lines in slots and the pattern list, not the original,
    # the exemplar or the voucher record: llama.cpp counts well under a thousand tokens.
    assert 0 < figures["input_tokens_per_template"] < 1000
    # Every replacement is named by the rule it broke, never an unexplained one.
    assert "other" not in figures["replaced_by_kind"]
    assert figures["accepted_undegraded"] == 1.0 or figures["replaced_by_kind"]
