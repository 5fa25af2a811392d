"""The vector index: other merchants' top templates per segment, in Chroma on disk under
``$CRMAGENT_HOME/chroma``.

One collection per segment, so the segment restriction costs nothing at query time (a
``where`` filter over every segment's vectors is far slower than an unfiltered query). Only each
segment's better half is indexed (shrunk conversion rate at or above the segment median, with
enough sends): retrieval looks for top templates, and a smaller index is faster to build and
to search. Candidates come back by text similarity and are re-ranked by voucher-type,
category (taxonomy-aware) and channel similarity. The index is rebuilt from the store when
the store's data changes, or when the folder is missing or unreadable.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from tools.crm.embeddings import MODEL_ID, embedder
from tools.crm.history import ScoredTemplate, per_data_version, segment_history
from tools.crm.store import Store

log = logging.getLogger(__name__)

MIN_SENDS = 200
"""Templates sent fewer times say too little to be someone's reference."""
_BATCH = 5000
_VOUCHER_FAMILY = {
    "percent_off": "discount",
    "amount_off": "discount",
    "threshold": "discount",
    "free_shipping": "perk",
    "gift": "perk",
    "bogo": "bundle",
}
WEIGHTS = {"text": 0.35, "category": 0.25, "voucher": 0.25, "channel": 0.15}


def voucher_similarity(a: str, b: str) -> float:
    """1 for the same type, 0.6 within a family (discounts, perks), else 0.2."""
    if a == b:
        return 1.0
    return 0.6 if _VOUCHER_FAMILY.get(a) == _VOUCHER_FAMILY.get(b) else 0.2


def category_similarity(a: str, b: str) -> float:
    """Shared taxonomy depth over the deeper path: siblings score above cousins."""
    left, right = a.split(">"), b.split(">")
    shared = 0
    for x, y in zip(left, right, strict=False):
        if x != y:
            break
        shared += 1
    return shared / max(len(left), len(right))


def channel_similarity(a: str, b: str) -> float:
    """1 for the same channel; short-form channels (SMS, push, IM) are alike."""
    if a == b:
        return 1.0
    return 0.5 if {a, b} <= {"sms", "push", "im"} else 0.0


@dataclass(frozen=True)
class Hit:
    """A retrieved reference with its similarity components."""

    template_id: str
    merchant_id: str
    text: str
    subject: str | None
    similarity: float
    text_similarity: float
    shrunk_cvr: float
    percentile: float
    voucher_type: str
    product_category: str
    channel: str


class TemplateIndex:
    """Per-segment Chroma collections of top templates, kept in step with the store."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / "chroma"
        self._lock = threading.Lock()
        self._client: Any = None
        self._built_for: str | None = None
        self._generation = 0
        """How many times a failed query has had the index started afresh."""
        self._collections: dict[tuple[str | None, str], tuple[Any, int]] = {}
        """Each segment's collection and its size, by the data version it was built for
        (asking Chroma for them costs more than the query on a small segment)."""

    def _forget_client(self) -> None:
        """Drop this process's Chroma client for the folder (Chroma caches one per path)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
        self._client = None
        self._collections.clear()

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False, allow_reset=True)
        try:
            client = chromadb.PersistentClient(path=str(self.path), settings=settings)
            client.list_collections()
        except Exception as exc:  # a corrupt folder: rebuild from the store
            log.warning(
                "vector index at %s unreadable (%s); rebuilding it from the store", self.path, exc
            )
            shutil.rmtree(self.path, ignore_errors=True)
            client = chromadb.PersistentClient(path=str(self.path), settings=settings)
        return client

    def ensure(self, store: Store) -> None:
        """Build or rebuild the index if the store's data changed since it was built."""
        version = store.get_meta("data_version") or "empty"
        if self._built_for == version and self.path.exists():
            return
        with self._lock:
            if self._built_for == version and self.path.exists():
                return
            # Until the index is whole again, other threads wait at the lock rather than
            # query a folder that is being rebuilt (it exists again as soon as it is opened).
            self._built_for = None
            if not self.path.exists() and self._client is not None:
                log.warning("vector index at %s is gone; rebuilding it from the store", self.path)
                self._forget_client()
            if self._client is None:
                self._client = self._connect()
            try:
                if self._marker() != f"{version}:{MODEL_ID}":
                    self._rebuild(store, version)
            except Exception as exc:  # damaged under a running process: start afresh
                log.warning(
                    "vector index at %s unreadable (%s); rebuilding it from the store",
                    self.path,
                    exc,
                )
                self._forget_client()
                shutil.rmtree(self.path, ignore_errors=True)
                self._client = self._connect()
                self._rebuild(store, version)
            self._built_for = version

    def _marker(self) -> str | None:
        try:
            meta = self._client.get_collection("crmagent-index").metadata or {}
        except Exception:
            return None
        value = meta.get("built_for")
        return None if value is None else str(value)

    def _rebuild(self, store: Store, version: str) -> None:
        self._collections.clear()
        for collection in self._client.list_collections():
            self._client.delete_collection(collection.name)
        embed = embedder()
        for segment in store.learning_segments():
            # The segment's scored history, cached: ranking reads the same one later.
            top = _indexed(segment_history(store, segment)[1])
            collection = self._client.create_collection(
                self._name(segment),
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
            for start in range(0, len(top), _BATCH):
                chunk = top[start : start + _BATCH]
                collection.add(
                    ids=[s.record.template_id for s in chunk],
                    documents=[s.record.text for s in chunk],
                    embeddings=embed([s.record.text for s in chunk]),
                    metadatas=[
                        {
                            "merchant_id": s.record.merchant_id,
                            "voucher_type": s.record.voucher_type,
                            "product_category": s.record.product_category,
                            "channel": s.record.channel,
                            "subject": s.record.subject or "",
                            "shrunk_cvr": s.shrunk_cvr,
                            "percentile": s.percentile,
                        }
                        for s in chunk
                    ],
                )
        self._client.create_collection(
            "crmagent-index",
            embedding_function=None,
            metadata={"built_for": f"{version}:{MODEL_ID}"},
        )

    @staticmethod
    def _name(segment: str) -> str:
        return f"segment-{segment}"

    def search(
        self,
        store: Store,
        segment: str,
        query: str,
        *,
        exclude_merchant: str,
        voucher_type: str,
        product_category: str,
        channel: str,
        k: int = 8,
        candidates: int = 100,
    ) -> list[Hit]:
        """The ``k`` best references in a segment, re-ranked by offer, category and channel.
        An index damaged under a running process is rebuilt from the store, once: of the
        threads whose queries failed on the damaged index, the first starts afresh, and the
        others query what it rebuilt."""
        generation = self._generation
        try:
            found = self._candidates(store, segment, query, candidates)
        except Exception as exc:
            log.warning(
                "vector index at %s failed (%s); rebuilding it from the store", self.path, exc
            )
            with self._lock:
                if self._generation == generation:  # nobody has started afresh since
                    self._forget_client()
                    shutil.rmtree(self.path, ignore_errors=True)
                    self._built_for = None
                    self._generation += 1
            found = self._candidates(store, segment, query, candidates)
        if found is None:
            return []
        ids, distances = found
        hits = rank(
            ids,
            distances,
            entries(store, segment),
            exclude_merchant=exclude_merchant,
            voucher_type=voucher_type,
            product_category=product_category,
            channel=channel,
        )
        return hits[:k]

    def _candidates(
        self, store: Store, segment: str, query: str, candidates: int
    ) -> tuple[list[str], list[float]] | None:
        """The nearest entries of the segment's collection by text (ids and distances);
        None when the segment has nothing indexed."""
        from chromadb.errors import NotFoundError

        self.ensure(store)
        key = (self._built_for, segment)
        if key not in self._collections:
            try:
                collection = self._client.get_collection(
                    self._name(segment), embedding_function=None
                )
            except NotFoundError:
                collection = None
            self._collections[key] = (collection, collection.count() if collection else 0)
        collection, total = self._collections[key]
        if total == 0:
            return None
        result = collection.query(
            query_embeddings=embedder()([query]),
            n_results=min(candidates, total),
            include=["distances"],
        )
        return result["ids"][0], result["distances"][0]


class Entry(NamedTuple):
    """What ranking reads of an indexed template."""

    merchant_id: str
    voucher_type: str
    product_category: str
    channel: str
    subject: str | None
    shrunk_cvr: float
    percentile: float
    text: str


def rank(
    ids: Sequence[str],
    distances: Sequence[float],
    meta: Mapping[str, Entry],
    *,
    exclude_merchant: str,
    voucher_type: str,
    product_category: str,
    channel: str,
) -> list[Hit]:
    """Candidates of a Chroma query (ids and distances; their metadata kept in memory),
    other merchants' only, by combined similarity."""
    hits = []
    for template_id, distance in zip(ids, distances, strict=True):
        info = meta.get(template_id)
        if info is None or info.merchant_id == exclude_merchant:
            continue  # (None: a template an import has just replaced)
        text_sim = max(0.0, 1.0 - float(distance))
        similarity = (
            WEIGHTS["text"] * text_sim
            + WEIGHTS["category"] * category_similarity(product_category, info.product_category)
            + WEIGHTS["voucher"] * voucher_similarity(voucher_type, info.voucher_type)
            + WEIGHTS["channel"] * channel_similarity(channel, info.channel)
        )
        hits.append(
            Hit(
                template_id=template_id,
                merchant_id=info.merchant_id,
                text=info.text,
                subject=info.subject,
                similarity=round(similarity, 4),
                text_similarity=round(text_sim, 4),
                shrunk_cvr=info.shrunk_cvr,
                percentile=info.percentile,
                voucher_type=info.voucher_type,
                product_category=info.product_category,
                channel=info.channel,
            )
        )
    hits.sort(key=lambda h: (h.similarity, h.shrunk_cvr), reverse=True)
    return hits


def _indexed(scored: Sequence[ScoredTemplate]) -> list[ScoredTemplate]:
    """The templates worth learning from: the top half of the segment, sent enough."""
    return [s for s in scored if s.percentile >= 0.5 and s.record.sends >= MIN_SENDS]


def entries(store: Store, segment: str) -> dict[str, Entry]:
    """What ranking needs of each indexed template of a segment, from the store's cached
    history (not read back from Chroma: a query asks it for ids and distances only, which
    is most of what keeps it fast at 100k entries, and the history is in memory already)."""

    def build() -> dict[str, Entry]:
        return {
            s.record.template_id: Entry(
                s.record.merchant_id,
                s.record.voucher_type,
                s.record.product_category,
                s.record.channel,
                s.record.subject,
                s.shrunk_cvr,
                s.percentile,
                s.record.text,
            )
            for s in _indexed(segment_history(store, segment)[1])
        }

    return per_data_version(store, "index_entries", segment, build)
