"""Benchmarks behind the performance figures (docs/performance.md), measured on an arena
world.

``embedding_comparison``: the two offline embedding candidates for retrieval, on speed
(texts per second, median of repeats) and on quality: for each campaign, described the way
retrieval queries it (offer, product name, category words), do the nearest templates by
text alone sell in the same category? Product names differ across merchants, so this asks
whether "running shoes" finds a "Road Racer": precision@10 on the same top-level category
and on the same leaf.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np

from tools.crm.embeddings import embedder
from tools.crm.index import Entry, TemplateIndex, rank
from tools.crm.store import Store
from tools.domain import CampaignRequest, Voucher
from tools.message.offers import offer_phrase

Embed = Callable[[list[str]], np.ndarray[Any, Any]]


def _hashing() -> Embed | None:
    try:
        from sklearn.feature_extraction.text import HashingVectorizer
    except ImportError:  # scikit-learn comes with the dev extra only
        return None
    vectorizer = HashingVectorizer(
        n_features=2**18, ngram_range=(1, 2), alternate_sign=False, norm="l2"
    )

    def embed(texts: list[str]) -> Any:
        return vectorizer.transform(texts)  # sparse: a dense 2^18-wide matrix needs gigabytes

    return embed


def _speed(embed: Embed, texts: list[str], repeats: int = 3) -> float:
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        embed(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def _precision(embed: Embed, store: Store, queries: int, rng: random.Random) -> dict[str, float]:
    records = store.templates()
    corpus = embed([r.text for r in records])
    picks = rng.sample(records, min(queries, len(records)))
    texts = []
    for r in picks:
        voucher = Voucher.model_validate(
            {"type": r.voucher_type, "value": r.voucher_value, "min_spend": r.min_spend}
        )
        product = store.product_of(r.template_id) or ""
        words = r.product_category.replace(">", " ").replace("-", " ")
        texts.append(f"{offer_phrase(voucher)} {product} {words}")
    scores = embed(texts) @ corpus.T
    if hasattr(scores, "toarray"):
        scores = scores.toarray()
    top, leaf = [], []
    for row, query in zip(scores, picks, strict=True):
        others = [i for i in np.argsort(-row) if records[i].merchant_id != query.merchant_id][:10]
        top.append(
            np.mean(
                [
                    records[i].product_category.split(">")[0]
                    == query.product_category.split(">")[0]
                    for i in others
                ]
            )
        )
        leaf.append(
            np.mean([records[i].product_category == query.product_category for i in others])
        )
    return {
        "precision_at_10_top_category": round(float(np.mean(top)), 3),
        "precision_at_10_leaf": round(float(np.mean(leaf)), 3),
    }


def embedding_comparison(home: Path, queries: int = 200, seed: int = 0) -> dict[str, Any]:
    """Speed and retrieval quality of each embedding candidate on the world in ``home``."""
    rng = random.Random(seed)
    with Store(Path(home) / "crm.sqlite") as store:
        sample = [r.text for r in store.templates()][:1000]
        candidates: dict[str, Embed | None] = {
            "minilm-int8-onnx": embedder(),
            "hashing-vectorizer": _hashing(),
        }
        report: dict[str, Any] = {}
        for name, embed in candidates.items():
            if embed is None:
                report[name] = {"skipped": "scikit-learn is not installed"}
                continue
            report[name] = {
                "texts_per_s": round(_speed(embed, sample)),
                **_precision(embed, store, queries, random.Random(rng.random())),
            }
    return report


# -- the performance benchmark ------------------------------------------------------------


def sample_requests(store: Store, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` requests drawn from the store's templates (their campaigns, as sent)."""
    records = store.templates()
    picks = random.Random(seed).sample(records, min(count, len(records)))
    return [store.replay_request(r) for r in picks]


def _timed(run: Callable[[], Any], repeats: int = 3) -> float:
    """Median seconds of ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _direct(request: dict[str, Any], context: Any) -> dict[str, Any]:
    """The graph's path walked by hand: the node functions in sequence, no LangGraph."""
    from langgraph.runtime import Runtime

    from graph import nodes, routers

    runtime = Runtime(context=context)
    state: dict[str, Any] = dict(request)

    def step(node: Callable[..., dict[str, Any]]) -> None:
        update = node(state, runtime)
        trail = update.pop("fallback_trail", None)
        state.update(update)
        if trail:
            state["fallback_trail"] = state.get("fallback_trail", []) + trail

    step(nodes.analyze_segment)
    following = routers.select_mode(state)  # type: ignore[arg-type]
    if following == "retrieve":
        step(nodes.retrieve)
        following = routers.after_retrieve(state)  # type: ignore[arg-type]
    step(getattr(nodes, following))
    if following == "extract_patterns":
        step(nodes.adapt_template)
    while True:
        step(nodes.check_rules)
        after = routers.after_check(state)  # type: ignore[arg-type]
        if after == "write_guidance":
            break
        step(getattr(nodes, after))
    step(nodes.write_guidance)
    step(nodes.evaluate)
    return state


def offline_figures(
    home: Path, requests: list[dict[str, Any]], rounds: int = 9
) -> dict[str, float]:
    """Throughput on the offline layer, and what LangGraph's orchestration costs on top
    (the median over ``rounds`` of the graph's time over the same node functions' by hand,
    and of the milliseconds a request spends in the graph beyond them)."""
    from crmagent.api import generate_batch, make_context
    from graph import graph
    from graph.state import InputState

    context = make_context(home=str(home))
    generate_batch(requests[:20], context=context)  # warm: index, caches
    batch = _timed(lambda: generate_batch(requests, max_concurrency=2, context=context))
    sample = requests[:100]
    inputs = [cast(InputState, r) for r in sample]

    def through_graph() -> None:
        for r in inputs:
            graph.invoke(r, context=context)

    def by_hand() -> None:
        for r in sample:
            _direct(r, context)

    ratios, extra_ms = [], []
    for round_ in range(rounds):
        # Interleaved, the order flipped each round: the machine's speed drifts over a run
        # (other tenants, frequency scaling), and each pair cancels what it shares.
        if round_ % 2:
            hand, orchestrated = _timed(by_hand, repeats=1), _timed(through_graph, repeats=1)
        else:
            orchestrated, hand = _timed(through_graph, repeats=1), _timed(by_hand, repeats=1)
        ratios.append(orchestrated / hand)
        extra_ms.append((orchestrated - hand) / len(sample) * 1000)
    return {
        "offline_templates_per_s": round(len(requests) / batch, 1),
        "graph_overhead_ratio": round(statistics.median(ratios), 3),
        # The ratio grows when the nodes get faster; what LangGraph adds does not.
        "graph_overhead_ms_per_request": round(statistics.median(extra_ms), 2),
    }


def pair_requests(store: Store, pairs: int = 10, each: int = 10) -> list[dict[str, Any]]:
    """A nightly-batch shape: ``each`` campaigns for each of ``pairs`` merchant x segment
    pairs with history."""
    chosen = [row for row in store.segment_summary() if row[2] >= 8][:pairs]
    requests = []
    for merchant_id, segment, *_ in chosen:
        records = store.templates(merchant_id, segment)
        requests += [
            store.replay_request(
                records[i % len(records)],
                id=f"{merchant_id}-{segment}-{i}",
                channel=records[0].channel,
            )
            for i in range(each)
        ]
    return requests


def llm_figures(home: Path, requests: list[dict[str, Any]]) -> dict[str, float]:
    """Calls and tokens per template through a fake OpenAI-compatible server that answers
    at once (100 requests over 10 merchant x segment pairs), and CRMAgent's own cost per
    call."""
    import os

    from crmagent.api import generate_batch, make_context
    from crmagent.measure.fake_openai import FakeOpenAI
    from tools.domain import GenerationResult

    saved = {k: os.environ.get(k) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
    with FakeOpenAI() as server:
        os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = server.url, "bench"
        try:
            offline = make_context(home=str(home))
            # The fake answers at once with the draft's lines ('lines'): the figure is
            # CRMAgent's own cost per call; a real model's calls are `bench --model`'s.
            online = make_context(
                home=str(home), model="openai:fake-good", judge_model="offline", writer_mode="lines"
            )
            generate_batch(requests[:5], context=online)  # warm the client
            started = time.perf_counter()
            results = generate_batch(requests, max_concurrency=2, context=online)
            with_model = time.perf_counter() - started
            without = _timed(
                lambda: generate_batch(requests, max_concurrency=2, context=offline), repeats=1
            )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    done = [r for r in results if isinstance(r, GenerationResult)]
    calls = sum(r.usage.calls for r in done)
    tokens = sum((r.usage.input_tokens or 0) + (r.usage.output_tokens or 0) for r in done)
    return {
        "llm_calls_per_template": round(calls / len(done), 3),
        "llm_tokens_per_template": round(tokens / len(done), 1),
        # Two workers: wall time per call, less what the same work takes with no model.
        "per_call_overhead_ms": round(1000 * max(with_model - without, 0) * 2 / max(calls, 1), 2),
    }


_BENCH_COLLECTION = "segment-bench-{size}"
_RANKED_FOR = {
    "exclude_merchant": "m1",
    "voucher_type": "percent_off",
    "product_category": "apparel>shoes>casual",
    "channel": "sms",
}
"""The campaign the benchmark's retrieval queries rank candidates for."""


def _synthetic_entries(size: int) -> dict[str, Entry]:
    """What the index keeps in memory for ``size`` indexed templates (the bench's stand-in
    for a store's history)."""
    categories = ["apparel>shoes>running", "beauty>skincare>serums", "home>kitchen>cookware"]
    kinds = ["percent_off", "amount_off", "free_shipping", "gift"]
    return {
        f"t{i}": Entry(
            f"m{i % 400}", kinds[i % 4], categories[i % 3], "sms", None, 0.01, 0.7, f"Text {i}"
        )
        for i in range(size)
    }


def _query(collection: Any, meta: Mapping[str, Entry], text: str) -> None:
    """One retrieval as the index runs it: embed the query, ask Chroma for the nearest ids
    and distances, rank them with the entries kept in memory."""
    result = collection.query(
        query_embeddings=embedder()([text]), n_results=100, include=["distances"]
    )
    distances = result["distances"]
    assert distances is not None
    rank(result["ids"][0], distances[0], meta, **_RANKED_FOR)


def retrieval_figures(
    folder: Path, sizes: tuple[int, ...] = (10_000, 100_000), queries: int = 200
) -> dict[str, float]:
    """Query latency (embedding the query, the Chroma query, re-ranking) on a segment
    collection of each size, filled with random unit vectors: latency depends on the count,
    not on what the vectors mean. The collections stay in ``folder``."""
    import shutil

    import chromadb
    from chromadb.config import Settings

    figures: dict[str, float] = {}
    rng = np.random.default_rng(0)
    shutil.rmtree(folder, ignore_errors=True)
    client = chromadb.PersistentClient(
        path=str(folder), settings=Settings(anonymized_telemetry=False)
    )
    embed = embedder()
    for size in sizes:
        collection = client.create_collection(
            _BENCH_COLLECTION.format(size=size),
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )
        meta = _synthetic_entries(size)
        for start in range(0, size, 5000):
            vectors = rng.normal(size=(min(5000, size - start), 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            ids = [f"t{start + i}" for i in range(len(vectors))]
            collection.add(
                ids=ids,
                embeddings=vectors,
                documents=[meta[i].text for i in ids],
                metadatas=[
                    {k: v for k, v in meta[i]._asdict().items() if k != "text" and v is not None}
                    for i in ids
                ],
            )
        for q in range(10):  # warm the HNSW index and the embedder
            collection.query(query_embeddings=embed([f"warm {q}"]), n_results=100)
        latencies = []
        for q in range(queries):
            started = time.perf_counter()
            _query(collection, meta, f"Take {q % 40}% off shoes")
            latencies.append(1000 * (time.perf_counter() - started))
        label = f"{size // 1000}k"
        figures[f"retrieval_p50_ms_{label}"] = round(float(np.percentile(latencies, 50)), 2)
        figures[f"retrieval_p95_ms_{label}"] = round(float(np.percentile(latencies, 95)), 2)
    return figures


def index_build_per_s(home: Path) -> float:
    """Templates embedded and indexed per second, building the world's index from nothing
    (a new world's store has no embeddings kept)."""
    with Store(home / "crm.sqlite") as store:
        index = TemplateIndex(home)
        index.backend.clear()
        started = time.perf_counter()
        index.ensure(store)
        elapsed = time.perf_counter() - started
        indexed = sum(index.backend.count(s) for s in index.backend.segments())
    return round(float(indexed) / elapsed, 1)


def write_synthetic_csv(path: Path, rows: int, merchants: int = 997) -> Path:
    """An ingestion file of ``rows`` valid templates spread over ``merchants`` merchants."""
    import csv

    from tools.crm.store import TEMPLATE_COLUMNS

    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TEMPLATE_COLUMNS)
        for i in range(rows):
            sends = 1000 + i % 700
            writer.writerow(
                [
                    f"t{i}",
                    f"m{i % merchants}",
                    ("vip", "lapsed_90d", "birthday")[i % 3],
                    "push",
                    "percent_off",
                    10 + i % 30,
                    "",
                    "2026-12-31",
                    f"SAVE{i % 30}",
                    "home>kitchen",
                    f"Template {i}: save {10 + i % 30}% today",
                    "",
                    sends,
                    sends // 3,
                    sends // 10,
                    i % 50,
                    "",
                    "2026-05-01",
                ]
            )
    return path


def _fresh(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a new interpreter: for figures a user meets in a process of
    their own (an import, a server), not in one that carries this benchmark's memory."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def _ingest_rate(path: Path, store_path: Path, repeats: int) -> float:
    from tools.crm.ingest import ingest_file

    rates = []
    for _ in range(repeats):
        for stale in store_path.parent.glob(f"{store_path.name}*"):  # the store, its WAL
            stale.unlink()
        with Store(store_path) as store:
            started = time.perf_counter()
            rows = ingest_file(store, path).rows
            rates.append(rows / (time.perf_counter() - started))
    return statistics.median(rates)


def ingest_figures(folder: Path, rows: int = 100_000, repeats: int = 3) -> dict[str, float]:
    """Rows a second of a full-size import (validated, one transaction) into a new store,
    the median of ``repeats``, in a process of its own as ``crmagent ingest`` runs; the
    last store is left in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_synthetic_csv(folder / "templates.csv", rows)
    rate = _fresh(_ingest_rate, path, folder / "crm.sqlite", repeats)
    return {"ingest_rows_per_s": round(rate, 1)}


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ``VmHWM`` starts afresh with a new
    program, where ``ru_maxrss`` carries over the parent's mark from the fork (a child of a
    1 GB benchmark would report at least 1 GB)."""
    import resource

    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serving_peak_rss(home: Path, vectors: Path, batch: list[dict[str, Any]], size: int) -> float:
    import chromadb
    from chromadb.config import Settings

    from crmagent.api import generate_batch

    # Group learning and the rules fallback over the store's full history; retrieval over
    # the 100k-entry segment collection (the store's own index would take minutes to embed).
    generate_batch(batch, max_concurrency=2, home=str(home), modes=["group", "rules"])
    client = chromadb.PersistentClient(
        path=str(vectors), settings=Settings(anonymized_telemetry=False)
    )
    collection = client.get_collection(_BENCH_COLLECTION.format(size=size))
    meta = _synthetic_entries(size)
    for q in range(len(batch)):
        _query(collection, meta, f"Take {q % 40}% off")
    return peak_rss_mb()


def serving_memory(
    home: Path, vectors: Path, requests: int = 200, size: int = 100_000
) -> dict[str, float]:
    """Peak memory of a fresh process serving the store in ``home`` (100k templates in the
    benchmark): a batch through the graph over the store's history, and retrieval queries
    on the ``size``-entry collection in ``vectors``."""
    with Store(home / "crm.sqlite") as store:
        batch = sample_requests(store, requests, seed=0)
    return {"peak_rss_mb": round(_fresh(_serving_peak_rss, home, vectors, batch, size), 1)}


TEMPLATES_PER_MERCHANT = 42
"""How many templates an arena world's merchant holds, about (seed 1: 100,580 for 2,400)."""


def changed_statistics(store: Store, path: Path, share: float, seed: int) -> Path:
    """An import file that updates ``share`` of the store's templates with a few more sends
    (a nightly statistics refresh: the texts are unchanged, the data version is new)."""
    import csv

    from tools.crm.store import TEMPLATE_COLUMNS

    records = store.templates()
    picked = random.Random(seed).sample(records, max(1, round(len(records) * share)))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TEMPLATE_COLUMNS)
        writer.writerows(r._replace(sends=r.sends + 10, opens=r.opens + 1) for r in picked)
    return path


def _request_costs(
    homes: dict[str, Path], requests: dict[str, list[dict[str, Any]]], warm: int, imports: int
) -> dict[str, dict[str, float]]:
    """In a process of its own, as a server meets them, for each store: the first request
    (every text read); ``warm`` requests for other campaigns, the stores taken in turn so
    that the machine's drift falls on both alike (the median); the rows read and texts
    parsed by one more; then, ``imports`` times, an import that refreshes 1% of the
    statistics and the first request after it (the median). Requests after the first are
    for segments the server has answered for (a segment's first request also reads its
    wordings, once a process)."""
    from crmagent.api import generate, make_context
    from tools.crm.ingest import ingest_file
    from tools.crm.store import WORK

    contexts = {
        name: make_context(home=str(home), modes=["group", "rules"]) for name, home in homes.items()
    }

    def seconds(name: str, request: dict[str, Any]) -> float:
        return _timed(lambda: generate(request, context=contexts[name]), repeats=1)

    figures: dict[str, dict[str, Any]] = {name: {} for name in homes}
    for name in homes:
        figures[name]["first_request_s"] = round(seconds(name, requests[name][0]), 3)
    times: dict[str, list[float]] = {name: [] for name in homes}
    for i in range(1, 1 + warm):
        for name in homes:
            times[name].append(seconds(name, requests[name][i]))
    for name, home in homes.items():
        seen = {r["segment"] for r in requests[name][: 1 + warm]}
        rest = [r for r in requests[name][1 + warm :] if r["segment"] in seen]
        before = WORK.copy()
        seconds(name, rest[0])
        rows, texts = WORK["rows"] - before["rows"], WORK["texts"] - before["texts"]
        after = []
        for round_, request in enumerate(rest[1 : 1 + imports]):
            with Store(home / "crm.sqlite") as store:
                ingest_file(store, changed_statistics(store, home / "refresh.csv", 0.01, round_))
            after.append(seconds(name, request))
        figures[name] |= {
            "warm_request_s": round(statistics.median(times[name]), 4),
            "first_after_import_s": round(statistics.median(after), 3),
            "warm_rows_read": rows,
            "warm_texts_parsed": texts,
        }
    return figures


def scaling_figures(
    folder: Path, sizes: tuple[int, ...] = (10_000, 100_000), seed: int = 1
) -> dict[str, Any]:
    """Time per request on arena worlds of each size in templates (merchants in proportion,
    so every merchant's history is as deep in both: the same world shape), measured in one
    fresh process (``_request_costs``), and the ratio of the largest's warm request to the
    smallest's."""
    from arena.world import build_world

    homes, requests, figures = {}, {}, {}
    for size in sizes:
        name = f"{size // 1000}k"
        homes[name] = folder / name
        merchants = max(10, round(size / TEMPLATES_PER_MERCHANT))
        build_world(homes[name], seed, merchants=merchants, replace=True)
        with Store(homes[name] / "crm.sqlite") as store:
            requests[name] = sample_requests(store, 60, seed)
            figures[name] = {"templates": store.count("templates")}
    for name, measured in _fresh(_request_costs, homes, requests, 30, 3).items():
        figures[name] |= measured
    small, large = (figures[f"{size // 1000}k"] for size in (min(sizes), max(sizes)))
    return {**figures, "warm_ratio": round(large["warm_request_s"] / small["warm_request_s"], 2)}


def ray_batch_figures(
    home: Path, requests: int = 600, seed: int = 1, workers: tuple[int, ...] = (1, 2)
) -> dict[str, Any]:
    """``crmagent batch --ray`` on the store in ``home`` (the 100k-template world in the
    benchmark), group and rules modes as the scaling figures: requests a second with each
    number of actors, end to end (the actors' start and their first requests, which read
    every stored text, included), the seconds to the first answer (that start), the rate
    after it (``warm``), and the largest pool's rates over one actor's; and the machine's
    load (a ratio below the pool's size on a machine busier than its cores is the
    machine's). Each pool runs on a local Ray cluster of its own, of as many CPUs as the
    largest pool; a warm-up batch reads the store into the page cache first, so that no
    pool pays for the disk."""
    import importlib.util
    import json
    import logging

    if importlib.util.find_spec("ray") is None:
        return {"skipped": "the ray extra is not installed"}
    import ray

    from crmagent.batch import run_batch
    from graph.context import Context

    folder = home / "ray-batch"
    folder.mkdir(exist_ok=True)
    with Store(home / "crm.sqlite") as store:
        batch = sample_requests(store, requests, seed)
        figures: dict[str, Any] = {"templates": store.count("templates"), "requests": requests}
    source, warm = folder / "requests.jsonl", folder / "warm.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in batch))
    warm.write_text("".join(json.dumps(r) + "\n" for r in batch[:2]))
    context = Context(home=str(home), modes=["group", "rules"])

    def answer(source: Path, count: int) -> tuple[float, int, float]:
        """On a Ray cluster of its own (no worker process, and so no cache, left from
        another pool): seconds to the first answers, how many, and seconds to the last."""
        target = folder / f"{source.stem}-{count}.jsonl"
        target.unlink(missing_ok=True)
        answers: list[tuple[float, int]] = []
        ray.init(num_cpus=max(workers), include_dashboard=False, logging_level=logging.WARNING)
        try:
            started = time.perf_counter()

            def answered(lines: int) -> None:
                if lines and not answers:
                    answers.append((time.perf_counter() - started, lines))

            run_batch(source, target, context=context, ray="auto", workers=count, progress=answered)
            return *answers[0], time.perf_counter() - started
        finally:
            ray.shutdown()

    answer(warm, 1)
    for count in workers:
        first, done, seconds = answer(source, count)
        figures[f"workers_{count}_requests_per_s"] = round(requests / seconds, 1)
        figures[f"workers_{count}_first_answer_s"] = round(first, 1)
        # Once every actor has read the history: the pool's rate on the rest.
        figures[f"workers_{count}_warm_requests_per_s"] = round(
            (requests - done) / max(seconds - first, 1e-9), 1
        )
    one, most = (figures[f"workers_{n}_requests_per_s"] for n in (min(workers), max(workers)))
    warm_one, warm_most = (
        figures[f"workers_{n}_warm_requests_per_s"] for n in (min(workers), max(workers))
    )
    load = os.getloadavg()[0]
    return {
        **figures,
        "ratio": round(most / one, 2),
        "warm_ratio": round(warm_most / warm_one, 2),
        "load_1min": round(load, 1),
    }


def _index_costs(home: Path, request: dict[str, Any], share: float) -> dict[str, float]:
    """In a process of its own, as a server meets them: a full build of the index of the
    store in ``home`` (from nothing, no embedding kept), the update after an import that
    refreshes ``share`` of the statistics, the process's first request with retrieval
    (the segment's history read, the model loaded), and, after one more such import, the
    first request after it (the index update, the segment's history again, the query),
    and the same with the update in the background (``CRMAGENT_INDEX_BACKGROUND_UPDATES``)."""
    from crmagent.api import generate, make_context
    from tools.crm.ingest import ingest_file
    from tools.crm.resources import index_for

    context = make_context(home=str(home), modes=["retrieval", "rules"])
    with Store(home / "crm.sqlite") as store:
        index = index_for(home)  # the one the requests use
        index.backend.clear()
        full = _timed(lambda: index.ensure(store), repeats=1)
        indexed = sum(index.backend.count(s) for s in index.backend.segments())
        ingest_file(store, changed_statistics(store, home / "refresh.csv", share, 0))
        incremental = _timed(lambda: index.ensure(store), repeats=1)
        before = _timed(lambda: generate(request, context=context), repeats=1)
        ingest_file(store, changed_statistics(store, home / "refresh.csv", share, 1))
        first = _timed(lambda: generate(request, context=context), repeats=1)
        # The same with the update in the background (a server's choice).
        index.background = True
        ingest_file(store, changed_statistics(store, home / "refresh.csv", share, 2))
        background = _timed(lambda: generate(request, context=context), repeats=1)
    return {
        "indexed": indexed,
        "index_full_build_s": round(full, 2),
        "index_build_per_s": round(indexed / full, 1),
        "index_update_after_import_s": round(incremental, 3),
        "index_update_share_of_build": round(incremental / full, 4),
        "retrieval_first_request_s": round(before, 3),
        "retrieval_first_after_import_s": round(first, 3),
        "retrieval_first_after_import_background_s": round(background, 3),
    }


def index_figures(
    folder: Path, size: int = 10_000, seed: int = 1, share: float = 0.01
) -> dict[str, Any]:
    """The vector index on an arena world of ``size`` templates (the scaling figures' world
    shape), with the index ``CRMAGENT_INDEX_URL`` names: the full build's rate, the
    incremental update after an import that refreshes ``share`` of the statistics and its
    share of a full build, and the first retrieval request after such an import."""
    from arena.world import build_world

    home = folder / f"{size // 1000}k"
    build_world(home, seed, merchants=max(10, round(size / TEMPLATES_PER_MERCHANT)), replace=True)
    with Store(home / "crm.sqlite") as store:
        request = sample_requests(store, 1, seed)[0]
        templates = store.count("templates")
    return {"templates": templates, **_fresh(_index_costs, home, request, share)}


def queue_figures(world: Path, size: int = 1000, loads: int = 60) -> dict[str, float]:
    """The web app's review queue holding ``size`` results: p50 and p95 of its page (the
    newest 200, with their tracked changes), signed in with a key for one merchant, as a
    browser asks for it (a real request through the app: routing, session, query, page)."""
    import gc

    from fastapi.testclient import TestClient

    from crmagent import reviews
    from crmagent.service import create_app
    from graph.context import Context
    from tools.crm import access_for

    context = Context(home=str(world))
    with Store(world / "crm.sqlite") as store:
        request = CampaignRequest.model_validate(sample_requests(store, 1, 0)[0])
    drafted = reviews.submit(request, context)
    access = access_for(world)
    for n in range(size - 1):
        # The one real draft, filed again: what the page reads is the queue's table.
        access.put_review(f"bench:{n}", drafted.request, drafted.result, "pending")
    key = access.create_key([drafted.merchant_id], "editor", label="bench")
    client = TestClient(create_app(context))
    gc.freeze()  # as `crmagent serve` does once the app is built
    client.post("/signin", data={"key": key, "next": "/queue"})
    latencies = []
    for _ in range(loads):
        started = time.perf_counter()
        answer = client.get("/queue")
        latencies.append(1000 * (time.perf_counter() - started))
        assert answer.status_code == 200
    gc.unfreeze()
    return {
        "queue_results": size,
        "queue_p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "queue_p95_ms": round(float(np.percentile(latencies, 95)), 1),
    }


def run_bench(home: Path, seed: int = 1) -> dict[str, Any]:
    """Every figure of the performance page (docs/performance.md), measured in one run."""
    import shutil

    from arena.world import build_world

    started = time.perf_counter()
    world = home / "world"
    shutil.rmtree(world, ignore_errors=True)
    build_world(world, seed)
    report: dict[str, Any] = {"seed": seed, "index_build_per_s": index_build_per_s(world)}
    with Store(world / "crm.sqlite") as store:
        requests = sample_requests(store, 200, seed)
        nightly = pair_requests(store)
    report |= offline_figures(world, requests)
    report |= llm_figures(world, nightly)
    report |= queue_figures(world)
    report |= retrieval_figures(home / "retrieval")
    report |= ingest_figures(home / "ingest")
    report |= serving_memory(home / "ingest", home / "retrieval")
    report["scaling"] = scaling_figures(home / "scaling", seed=seed)
    report["ray_batch"] = ray_batch_figures(home / "scaling" / "100k", seed=seed)
    report["index"] = index_figures(home / "index", seed=seed)
    shutil.rmtree(home / "index", ignore_errors=True)
    shutil.rmtree(home / "scaling", ignore_errors=True)
    shutil.rmtree(home / "retrieval", ignore_errors=True)
    arena_started = time.perf_counter()
    build_world(home / "arena-400", seed, merchants=400, replace=True)
    report["arena_build_s"] = round(time.perf_counter() - arena_started, 2)
    report["embeddings"] = embedding_comparison(world)
    report["bench_peak_rss_mb"] = round(peak_rss_mb(), 1)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


# -- a configured model, measured --------------------------------------------------------

REASON_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("offer_facts", ("offer facts:",)),
    ("channel_length", ("channel length:",)),
    ("placeholders_links", ("placeholders:", "links:")),
    ("forbidden_words", ("forbidden words:",)),
    ("sms_format", ("sms sender:", "sms opt out:", "subject:")),
    ("shouting", ("shouting:",)),
    ("guidance", ("guidance:",)),
    ("budget", ("model budget of",)),
    ("cut_off", ("cut off at the token limit",)),
    ("malformed", ("malformed", "no lines", "empty:")),
    ("transport", ("Timeout", "timed out", "Connection", "ServerError", "RateLimit", "APIStatus")),
)
"""How a replacement's reason is counted: each problem it lists by the rule it names first
(the writer's problems open with the rule: "offer facts: line 2 ..."), else by a marker."""
_REPLACED = re.compile(r"^[a-z ]+: the model's answer was replaced by the grounded one \(")


def reason_kinds(reason: str | None) -> list[str]:
    """The kinds of problem a result's ``degraded_reason`` names, each once."""
    if not reason:
        return []
    found: list[str] = []
    for problem in reason.split("; "):
        problem = _REPLACED.sub("", problem.strip())
        kind = next(
            (k for k, markers in REASON_KINDS if problem.startswith(markers)),
            next((k for k, markers in REASON_KINDS if any(m in problem for m in markers)), None),
        )
        if kind and kind not in found:
            found.append(kind)
    return found or ["other"]


def word_distance(a: str, b: str) -> float:
    """Word-level edit distance between two texts over the longer's word count: 0 for the
    same words in the same order, 1 for nothing in common."""
    x, y = a.split(), b.split()
    if not x and not y:
        return 0.0
    previous = list(range(len(y) + 1))
    for i, word in enumerate(x, start=1):
        current = [i]
        for j, other in enumerate(y, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
            )
        previous = current
    return previous[-1] / max(len(x), len(y))


def bench_requests(store: Store, count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` requests with the merchant's original, channels taken in turn (sms, email,
    push, im), each a stored template's campaign as it was sent."""
    rng = random.Random(seed)
    by_channel: dict[str, list[Any]] = {}
    for record in store.templates():
        by_channel.setdefault(record.channel, []).append(record)
    for records in by_channel.values():
        rng.shuffle(records)
    order = [c for c in ("sms", "email", "push", "im") if c in by_channel]
    picked = []
    for i in range(count):
        records = by_channel[order[i % len(order)]]
        picked.append(records[i // len(order) % len(records)])
    return [store.replay_request(r, id=f"bench-{i}") for i, r in enumerate(picked)]


def model_bench(
    home: Path,
    model: str,
    requests: int = 6,
    *,
    seed: int = 1,
    judge_model: str = "offline",
    analyst_model: str = "",
    candidates: int = 1,
    timeout: float | None = None,
    tries: int = 3,
    writer_mode: str = "auto",
) -> dict[str, Any]:
    """What a configured model does on ``requests`` campaigns with the merchant's original
    (an arena world of ``seed`` built in ``home`` when it holds no store), one at a time:
    the share of templates accepted undegraded, the replacements' reasons by kind, the
    generation calls and tokens per template (retries and pattern readings included; the
    judge apart, off unless ``judge_model`` is set; ``analyst_model`` "offline" leaves the
    pattern readings out), seconds per template (median), and how
    far the accepted text is from the grounded draft the model was handed (the same request
    offline): the share that is the draft word for word, and the mean word-level edit
    distance ratio. ``candidates``, ``timeout``, ``tries`` and ``writer_mode`` are
    ``Context``'s ``model_candidates``, ``model_timeout``, ``model_tries`` and
    ``writer_mode``."""
    from arena.world import build_world
    from crmagent.api import generate, make_context

    home = Path(home)
    if not (home / "crm.sqlite").exists():
        build_world(home, seed)
    with Store(home / "crm.sqlite") as store:
        batch = bench_requests(store, requests, seed)
    settings: dict[str, Any] = {
        "home": str(home),
        "judge_model": judge_model,
        "analyst_model": analyst_model,
        "model_tries": tries,
        "writer_mode": writer_mode,
    }
    if timeout is not None:
        settings["model_timeout"] = timeout
    offline = make_context(**settings, model="offline")
    online = make_context(**settings, model=model, model_candidates=candidates)
    rows = []
    for request in batch:
        grounded = generate(request, context=offline)
        started = time.perf_counter()
        result = generate(request, context=online)
        seconds = time.perf_counter() - started
        rows.append((grounded, result, seconds))
    accepted = [(g, r) for g, r, _ in rows if not r.degraded]
    kinds: dict[str, int] = {}
    for _, result, _ in rows:
        for kind in reason_kinds(result.degraded_reason):
            kinds[kind] = kinds.get(kind, 0) + 1
    count = len(rows)
    same = [
        g.template.body == r.template.body and g.template.subject == r.template.subject
        for g, r in accepted
    ]
    distances = [word_distance(g.template.body, r.template.body) for g, r in accepted]
    tokens_in = [r.usage.input_tokens for _, r, _ in rows]
    tokens_out = [r.usage.output_tokens for _, r, _ in rows]
    return {
        "model": model,
        "analyst": analyst_model or model,
        "requests": count,
        "channels": dict(sorted(Counter(r["channel"] for r in batch).items())),
        "accepted_undegraded": round(len(accepted) / count, 3) if count else 0.0,
        "replaced_by_kind": dict(sorted(kinds.items())),
        "calls_per_template": round(sum(r.usage.calls for _, r, _ in rows) / count, 3),
        "judge_calls_per_template": round(sum(r.usage.judge_calls for _, r, _ in rows) / count, 3),
        "input_tokens_per_template": (
            round(sum(t or 0 for t in tokens_in) / count, 1) if any(tokens_in) else None
        ),
        "output_tokens_per_template": (
            round(sum(t or 0 for t in tokens_out) / count, 1) if any(tokens_out) else None
        ),
        "seconds_per_template_median": round(statistics.median(s for _, _, s in rows), 2),
        "accepted_equal_to_grounded_draft": (round(sum(same) / len(same), 3) if same else None),
        "accepted_word_distance_mean": (
            round(statistics.fmean(distances), 3) if distances else None
        ),
        "degraded_reasons": [r.degraded_reason for _, r, _ in rows if r.degraded],
    }
