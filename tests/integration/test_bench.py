"""The benchmark's own machinery at a small scale (the figures come from `crmagent bench`)."""

from __future__ import annotations

from pathlib import Path

from crmagent.bench import ingest_figures, retrieval_figures, serving_memory
from tools.store import Store


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


def test_orchestration_is_reported_as_a_ratio_and_in_milliseconds(tmp_path: Path) -> None:
    from arena.world import build_world
    from crmagent.bench import offline_figures, sample_requests

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
