"""The cost of a request must not grow with the history: on arena worlds of 10k and 100k
templates (merchants in proportion, so each merchant's history is as deep in both), the
work a request does is counted (template rows read, stored texts parsed), not timed.
Times are the benchmark's (`crmagent bench`, `scaling`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arena.world import build_world
from crmagent.api import generate, make_context
from crmagent.measure.bench import TEMPLATES_PER_MERCHANT, changed_statistics, sample_requests
from tools.crm.ingest import ingest_file
from tools.crm.store import WORK, Store

SIZES = (10_000, 100_000)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    homes = {}
    for size in SIZES:
        home = tmp_path_factory.mktemp(f"world-{size}")
        build_world(home, 1, merchants=round(size / TEMPLATES_PER_MERCHANT))
        homes[size] = home
    return homes


def _work(home: Path, request: dict[str, Any]) -> tuple[int, int]:
    """The template rows read and the stored texts parsed by one request."""
    before = WORK.copy()
    generate(request, context=make_context(home=str(home), modes=["group", "rules"]))
    return WORK["rows"] - before["rows"], WORK["texts"] - before["texts"]


def _requests(home: Path, count: int, seed: int) -> tuple[int, list[dict[str, Any]]]:
    with Store(home / "crm.sqlite") as store:
        return store.count("templates"), sample_requests(store, count, seed)


def test_a_warm_request_does_the_same_work_on_a_store_ten_times_larger(
    worlds: dict[int, Path],
) -> None:
    most_rows = {}
    for size, home in worlds.items():
        templates, requests = _requests(home, 30, seed=3)
        rows, texts = _work(home, requests[0])
        # The first request reads the history once: every row, every text (its features;
        # its segment's wordings too), no more.
        assert templates <= rows <= templates * 1.05 and texts <= templates * 2
        for request in requests[1:15]:  # a segment's first request reads its wordings
            _work(home, request)
        seen = {r["segment"] for r in requests[:15]}
        warm = [_work(home, r) for r in requests[15:] if r["segment"] in seen]
        # Later requests for other merchants read only the merchant's own rows and parse
        # nothing, but for a reading done once per data version when first asked for (the
        # words other segments use, when a merchant's voice comes from one).
        parsed = sorted(texts for _, texts in warm)
        assert len(warm) >= 5 and parsed[len(parsed) // 2] == 0 and sum(parsed) <= templates
        most_rows[size] = max(rows for rows, _ in warm)
    assert most_rows[100_000] <= max(2 * most_rows[10_000], 200)


def test_after_an_import_each_row_is_read_once_and_only_new_texts_are_parsed(
    worlds: dict[int, Path],
) -> None:
    home = worlds[100_000]
    templates, requests = _requests(home, 4, seed=5)
    _work(home, requests[0])
    with Store(home / "crm.sqlite") as store:
        ingest_file(store, changed_statistics(store, home / "refresh.csv", 0.01, seed=1))
    rows, texts = _work(home, requests[1])
    assert rows <= templates * 1.05 and texts == 0  # statistics changed, words did not
    with Store(home / "crm.sqlite") as store:
        reworded = [r._replace(text=f"{r.text} New!") for r in store.templates()[:50]]
        with store.transaction():
            store.put_templates(reworded)
    rows, texts = _work(home, requests[2])
    assert rows <= templates * 1.05 and 0 < texts <= 2 * len(reworded)  # features, wordings
