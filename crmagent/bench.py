"""Benchmarks that back README's figures, measured on an arena world.

``embedding_comparison``: the two offline embedding candidates for retrieval, on speed
(texts per second, median of repeats) and on quality: for each campaign, described the way
retrieval queries it (offer, product name, category words), do the nearest templates by
text alone sell in the same category? Product names differ across merchants, so this asks
whether "running shoes" finds a "Road Racer": precision@10 on the same top-level category
and on the same leaf.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tools.domain import Voucher
from tools.embeddings import embedder
from tools.offers import offer_phrase
from tools.store import Store

Embed = Callable[[list[str]], np.ndarray[Any, Any]]


def _hashing() -> Embed | None:
    try:
        from sklearn.feature_extraction.text import HashingVectorizer
    except ImportError:  # scikit-learn comes with the dev extra only
        return None
    vectorizer = HashingVectorizer(
        n_features=2**18, ngram_range=(1, 2), alternate_sign=False, norm="l2"
    )

    def embed(texts: list[str]) -> np.ndarray[Any, Any]:
        return np.asarray(vectorizer.transform(texts).toarray(), dtype=np.float32)

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
