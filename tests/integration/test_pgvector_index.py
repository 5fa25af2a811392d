"""The vector index's pgvector backend on a real PostgreSQL: what every backend must do
(``tools.crm.vectors.VectorBackend``), the same nearest templates and the same retrieval
references as Chroma for the same store, segments kept apart in the one table, and workers
sharing one index."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from arena.world import build_world
from tools.crm.chroma_index import ChromaBackend
from tools.crm.embeddings import DIMENSIONS, MODEL_ID, embedder
from tools.crm.index import Hit, TemplateIndex
from tools.crm.pgvector_index import PgvectorBackend
from tools.crm.store import Store
from tools.crm.vectors import IndexState, VectorBackend

SEGMENTS = ("birthday", "lapsed_90d", "vip")
QUERIES = (
    "Happy birthday! A gift from us to celebrate you",
    "We miss you. Come back for 20% off your next order",
    "Your VIP early access: the new running shoes are here",
    "Free shipping this weekend only",
)

Segments = dict[str, tuple[list[str], list[str], np.ndarray]]
"""Per segment: template ids, text hashes, unit vectors."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a seed-1 world."""
    home = tmp_path_factory.mktemp("pgvector")
    build_world(home, seed=1)
    return home


@pytest.fixture(scope="module")
def segments(world: Path) -> Segments:
    """Three segments of the world, their first 80 texts embedded."""
    found: Segments = {}
    with Store(world / "crm.sqlite") as store:
        for segment in SEGMENTS:
            records = store.templates(segment=segment)[:80]
            texts = [r.text for r in records]
            found[segment] = (
                [r.template_id for r in records],
                [hashlib.sha256(t.encode()).hexdigest() for t in texts],
                embedder()(texts),
            )
    return found


@pytest.fixture
def backend(postgres_url: str) -> PgvectorBackend:
    """The backend on a new, empty database."""
    return PgvectorBackend(postgres_url)


def load(backend: VectorBackend, segments: Segments) -> None:
    """Index every segment and record the index as whole, as a full build does."""
    backend.clear()
    backend.set_state(IndexState("", MODEL_ID))
    for segment, (ids, hashes, vectors) in segments.items():
        backend.upsert(segment, ids, hashes, vectors)
    backend.set_state(IndexState("v1", MODEL_ID))


def nearest(found: tuple[list[str], list[float]], k: int) -> set[str]:
    """The ids among the first ``k`` strictly nearer than the ``k``-th: the top hits with
    ties at the cut left aside."""
    ids, distances = found
    cut = distances[k - 1]
    return {i for i, d in zip(ids[:k], distances[:k], strict=True) if d < cut - 1e-5}


def test_the_same_top_hits_as_chroma_for_the_same_store(
    backend: PgvectorBackend, segments: Segments, tmp_path: Path
) -> None:
    """The top hits alike; of the 100 candidates that ranking re-orders, Chroma's HNSW
    search (approximate even on a small segment) may miss a few that pgvector, which
    scans a small segment exactly, finds as a brute-force search does."""
    chroma = ChromaBackend.embedded(tmp_path / "chroma")
    load(chroma, segments)
    load(backend, segments)
    for segment in SEGMENTS:
        ids, _, vectors = segments[segment]
        for query in QUERIES:
            vector = embedder()([query])[0]
            ours, theirs = backend.query(segment, vector, 100), chroma.query(segment, vector, 100)
            first = {i for i, d in zip(*theirs, strict=True) if d < theirs[1][0] + 1e-5}
            assert ours[0][0] in first
            for k in (5, 10):
                assert nearest(ours, k) == nearest(theirs, k), (segment, query, k)
            assert len(ours[0]) == len(theirs[0]) == min(100, len(ids))
            assert len(set(ours[0]) & set(theirs[0])) >= len(ours[0]) - 5
            exact = sorted(zip(1.0 - vectors @ vector, ids, strict=True))[:100]
            assert nearest(ours, 60) == nearest(([i for _, i in exact], [d for d, _ in exact]), 60)
            assert np.allclose(ours[1], [d for d, _ in exact], atol=1e-5)


def test_retrieval_finds_the_same_references_on_either_backend(
    world: Path, postgres_url: str, tmp_path: Path
) -> None:
    """The index as retrieval uses it, built from one store on Chroma and on pgvector:
    the same references for a few requests, in the same order (ties of the combined
    similarity aside)."""
    on_chroma = TemplateIndex(world, ChromaBackend.embedded(tmp_path / "chroma"))
    on_pgvector = TemplateIndex(world, PgvectorBackend(postgres_url))
    with Store(world / "crm.sqlite") as store:
        for segment, query in zip(SEGMENTS, QUERIES, strict=False):
            asked = {
                "exclude_merchant": "m001",
                "voucher_type": "percent_off",
                "product_category": "apparel>shoes>running",
                "channel": "sms",
                "k": 8,
            }
            ours = on_pgvector.search(store, segment, query, **asked)
            theirs = on_chroma.search(store, segment, query, **asked)
            assert ours and len(ours) == len(theirs)
            assert [h.similarity for h in ours] == pytest.approx(
                [h.similarity for h in theirs], abs=2e-4
            )
            assert ranked(ours) == ranked(theirs), (segment, query)


def ranked(hits: Sequence[Hit]) -> list[frozenset[str]]:
    """The ids by rank, hits of one similarity as one place, the last place left aside
    (its ties may reach past the cut)."""
    places: dict[float, set[str]] = {}
    for hit in hits:
        places.setdefault(hit.similarity, set()).add(hit.template_id)
    return [frozenset(ids) for ids in places.values()][:-1]


def test_a_query_finds_its_segments_nearest_among_many_others(
    backend: PgvectorBackend,
) -> None:
    """Segments a tenth and nine tenths of the table, each asked for more rows than HNSW
    looks at by default (the large one is searched through the HNSW graph, the small one
    scanned): the nearest rows of that segment, as a brute-force search finds them."""
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(3000, DIMENSIONS)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    ids = [f"t{i}" for i in range(len(rows))]
    members = {"rare": list(range(0, 3000, 10))}
    members["common"] = sorted(set(range(3000)) - set(members["rare"]))
    backend.clear()
    for segment, chosen in members.items():
        backend.upsert(segment, [ids[i] for i in chosen], ["h"] * len(chosen), rows[chosen])
    backend.set_state(IndexState("v1", MODEL_ID))
    query = rows[0] + 0.5 * rows[10]
    query /= np.linalg.norm(query)
    for segment, chosen in members.items():
        found, distances = backend.query(segment, query, 120)
        exact = [ids[i] for i in sorted(chosen, key=lambda i: 1.0 - float(rows[i] @ query))]
        assert len(found) == 120 and distances == sorted(distances)
        assert found[:10] == exact[:10]
        assert len(set(found) & set(exact[:120])) >= 115  # HNSW: approximate at the edge
        assert set(found) <= set(exact)


def test_what_every_backend_does(backend: PgvectorBackend, segments: Segments) -> None:
    assert backend.state() is None and backend.segments() == [] and backend.count("vip") == 0
    assert backend.query("vip", segments["vip"][2][0], 5) == ([], [])
    load(backend, segments)
    assert backend.state() == IndexState("v1", MODEL_ID)
    assert backend.segments() == sorted(SEGMENTS)
    ids, hashes, vectors = segments["vip"]
    assert backend.members("vip") == dict(zip(ids, hashes, strict=True))
    assert backend.count("vip") == len(ids)
    # A changed text replaces its row; a template that left is gone from its segment only.
    backend.upsert("vip", ids[:1], ["changed"], vectors[1:2])
    backend.delete("vip", ids[1:3])
    assert backend.members("vip")[ids[0]] == "changed" and ids[1] not in backend.members("vip")
    assert backend.count("vip") == len(ids) - 2
    assert backend.query("vip", vectors[1], 1)[0] == [ids[0]]  # now holds the second's text
    backend.drop("birthday")
    assert backend.segments() == ["lapsed_90d", "vip"] and backend.count("birthday") == 0
    backend.clear()
    assert backend.state() is None and backend.segments() == []


def test_workers_share_one_index(postgres_url: str, segments: Segments) -> None:
    """What one worker writes, another (its own backend) sees after a refresh; a table
    dropped under a worker comes back with the index's clear."""
    first, second = PgvectorBackend(postgres_url), PgvectorBackend(postgres_url)
    assert second.count("vip") == 0
    load(first, segments)
    second.refresh()
    assert second.state() == IndexState("v1", MODEL_ID)
    assert second.count("vip") == len(segments["vip"][0])
    with first.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE crmagent_vectors")
    with pytest.raises(Exception, match="crmagent_vectors"):
        second.query("vip", segments["vip"][2][0], 5)
    second.clear()
    assert second.segments() == [] and second.state() is None


def test_an_index_url_that_names_no_database_says_what_to_give() -> None:
    with pytest.raises(ValueError, match="give 'postgresql://"):
        PgvectorBackend("mysql://host/db")
