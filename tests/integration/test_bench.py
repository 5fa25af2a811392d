"""The benchmark's own machinery at a small scale (the figures come from `crmagent bench`)."""

from __future__ import annotations

from pathlib import Path

from crmagent.measure.bench import ingest_figures, retrieval_figures, serving_memory
from tools.crm.store import Store


def test_import_and_serving_are_measured_in_processes_of_their_own(tmp_path: Path) -> None:
    home = tmp_path / "ingest"
    figures = ingest_figures(home, rows=3000)
    assert figures["ingest_rows_per_s"] > 0
    with Store(home / "crm.sqlite") as store:
        assert len(store.templates()) == 3000  # the child's import, committed
    latency = retrieval_figures(tmp_path / "vectors", sizes=(2000,), queries=5)
    assert 0 < latency["retrieval_p50_ms_2k"] <= latency["retrieval_p95_ms_2k"]
    memory = serving_memory(home, tmp_path / "vectors", requests=5, size=2000)
    assert 100 < memory["peak_rss_mb"] < 4000  # a child's own peak, in megabytes


def test_the_index_is_measured_building_and_after_imports(tmp_path: Path) -> None:
    from crmagent.measure.bench import index_figures

    figures = index_figures(tmp_path, size=1000)
    assert figures["templates"] >= 900 and 0 < figures["indexed"] < figures["templates"]
    assert figures["index_build_per_s"] > 0 and figures["index_update_after_import_s"] > 0
    assert figures["retrieval_first_after_import_s"] > 0


def test_orchestration_is_reported_as_a_ratio_and_in_milliseconds(tmp_path: Path) -> None:
    from arena.world import build_world
    from crmagent.measure.bench import offline_figures, sample_requests

    build_world(tmp_path, seed=4)
    with Store(tmp_path / "crm.sqlite") as store:
        requests = sample_requests(store, 20, seed=4)
    figures = offline_figures(tmp_path, requests, rounds=1)
    assert set(figures) == {
        "offline_templates_per_s",
        "graph_overhead_ratio",
        "graph_overhead_ms_per_request",
    }
    assert figures["offline_templates_per_s"] > 0 and figures["graph_overhead_ratio"] > 0
    assert isinstance(figures["graph_overhead_ms_per_request"], float)


def test_the_queue_is_timed_holding_its_results(tmp_path: Path) -> None:
    from arena.world import build_world
    from crmagent.measure.bench import queue_figures
    from tools.crm import access_for

    build_world(tmp_path, seed=4)
    figures = queue_figures(tmp_path, size=30, loads=3)
    assert figures["queue_results"] == 30
    assert 0 < figures["queue_p50_ms"] <= figures["queue_p95_ms"]
    assert len(access_for(tmp_path).reviews(None, limit=100)) == 30


def test_the_model_bench_measures_what_a_model_adds_and_costs(
    tmp_path: Path, openai_server: object
) -> None:
    from crmagent.measure.bench import model_bench

    # The fake words the draft's lines; the rewrite writer is tested with scripted answers.
    good = model_bench(
        tmp_path, "openai:fake-good", requests=4, analyst_model="offline", writer_mode="lines"
    )
    assert good["channels"] == {"email": 1, "im": 1, "push": 1, "sms": 1}
    assert good["accepted_undegraded"] == 1.0 and good["replaced_by_kind"] == {}
    assert good["calls_per_template"] == 1.0 and good["judge_calls_per_template"] == 0
    # The fake copies the draft's lines back: all cost, no change, and the bench says so.
    assert good["accepted_equal_to_grounded_draft"] == 1.0
    assert good["accepted_word_distance_mean"] == 0.0
    assert 0 < good["input_tokens_per_template"] < 700  # the fake counts 4 characters a token
    assert good["output_tokens_per_template"] == 60  # one answer of 60 tokens each
    assert good["seconds_per_template_median"] > 0

    wrong = model_bench(
        tmp_path, "openai:fake-wrong", requests=4, analyst_model="offline", writer_mode="lines"
    )
    assert wrong["accepted_undegraded"] == 0.0
    assert wrong["replaced_by_kind"] == {"offer_facts": 4}
    assert wrong["calls_per_template"] == 3.0  # each draft tried three times, then replaced
    assert wrong["accepted_equal_to_grounded_draft"] is None

    reworded = model_bench(
        tmp_path,
        "openai:fake-reword",
        requests=4,
        analyst_model="offline",
        candidates=3,
        writer_mode="lines",
    )
    assert reworded["accepted_undegraded"] == 1.0 and reworded["calls_per_template"] == 1.0


def test_reason_kinds_count_each_rule_once_per_template() -> None:
    from crmagent.measure.bench import reason_kinds, word_distance

    reason = (
        "template: the model's answer was replaced by the grounded one (offer facts: line 1 "
        '"Take 30% off {link}" states 30%; offer facts: line 2 "x"; placeholders: line 3 '
        '"y" leaves out {link} ({link})); pattern notes: the model\'s answer was replaced by '
        "the grounded one (model budget of 4 calls spent)"
    )
    assert reason_kinds(reason) == ["offer_facts", "placeholders_links", "budget"]
    assert reason_kinds("template: ... (TimeoutError: Request timed out.)") == ["transport"]
    assert word_distance("a b c d", "a b c d") == 0.0
    assert word_distance("a b c d", "a x c d") == 0.25
