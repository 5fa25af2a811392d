"""The vector index: other merchants' top templates per segment, their texts embedded, in a
backend chosen by ``CRMAGENT_INDEX_URL`` (``tools.crm.vectors``: Chroma embedded under the
home by default, or a Chroma server).

Only each segment's better half is indexed (shrunk conversion rate at or above the segment
median, with enough sends): retrieval looks for top templates, and a smaller index is faster
to build and to search. Candidates come back by text similarity and are re-ranked by
voucher-type, category (taxonomy-aware) and channel similarity.

The index follows the store incrementally: when the store's data version changes, it
compares each segment's indexed set with what the backend holds and applies the difference
(templates that joined or whose text changed are upserted, those that left are deleted),
with embeddings kept in the store by text hash, so that only texts never seen are embedded.
A full build happens only for an empty index or a new embedding model. A server may let a
query after an import go ahead on the index as it was while the update runs in the
background (``CRMAGENT_INDEX_BACKGROUND_UPDATES``; an empty index is built first). One
process at a time updates (a lease in the store); the others serve what the index holds
meanwhile, or wait when it holds nothing yet.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy.exc import DBAPIError

from tools.config import settings
from tools.crm.embeddings import MODEL_ID, embedder
from tools.crm.history import ScoredTemplate, per_data_version, segment_history
from tools.crm.store import Store
from tools.crm.vectors import IndexState, VectorBackend, backend_for

log = logging.getLogger(__name__)

MIN_SENDS = 200
"""Templates sent fewer times say too little to be someone's reference."""
LEASE = "vector-index"
LEASE_SECONDS = 300.0
"""How long an update holds the index before another process may take over (renewed at
every batch, so only a process that died lets it run out)."""
_WAIT_SECONDS = 0.5
"""How often a process with nothing to serve looks whether another's build is done."""
_EMBED_BATCH = 5000

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
    """Per-segment vectors of top templates, kept in step with the store."""

    def __init__(
        self,
        home: Path,
        backend: VectorBackend | None = None,
        background: bool | None = None,
    ) -> None:
        config = settings()
        self.backend = backend or backend_for(config.index_url, Path(home))
        self.background = config.index_background_updates if background is None else background
        """Whether a query after an import goes ahead on the index as it was while the
        update runs in the background (``CRMAGENT_INDEX_BACKGROUND_UPDATES``)."""
        self._lock = threading.Lock()
        self._owner = uuid.uuid4().hex
        """Who this index is when it holds the store's update lease."""
        self._built_for: str | None = None
        """The store's data version this process has the index in step with."""
        self._complete = False
        """Whether this process has found the index whole (in step with some version):
        then a query may use it while it catches up with an import in the background."""
        self._updater: threading.Thread | None = None
        self._starting = threading.Lock()
        self._seen: IndexState | None = None
        """The backend's state when this process last looked (another process changing it
        means cached handles are stale)."""
        self._generation = 0
        """How many times a failed query has had the index started afresh."""

    def ensure(self, store: Store) -> None:
        """Bring the index in step with the store's data, if it changed since last seen."""
        version = store.get_meta("data_version") or "empty"
        if self._built_for == version and self.backend.intact():
            return
        with self._lock:
            if self._built_for == version and self.backend.intact():
                return
            # Until the index is whole again, other threads wait at the lock rather than
            # query vectors that are being replaced.
            self._built_for = None
            try:
                self._catch_up(store, version)
            except Exception as exc:  # damaged under a running process: start afresh
                if _from_store(exc):
                    raise
                log.warning(
                    "vector index in %s unreadable (%s); rebuilding it from the store",
                    self.backend,
                    exc,
                )
                self._complete = False
                self.backend.clear()
                self._catch_up(store, version)

    def _behind(self, store: Store) -> bool:
        """Whether a query may go ahead on the index as it is: whole, only not yet in step
        with the latest import. Then the update runs in the background (started here,
        once), so that the first request after an import does not wait for it."""
        if not self.background or not self._complete or not self.backend.intact():
            return False
        if self._built_for == (store.get_meta("data_version") or "empty"):
            return False
        with self._starting:
            if self._updater is None or not self._updater.is_alive():
                self._updater = threading.Thread(
                    target=self._update_in_background,
                    args=(store.location,),
                    name="index-update",
                    daemon=True,
                )
                self._updater.start()
        return True

    def _update_in_background(self, location: str) -> None:
        """``ensure`` on a connection of the thread's own (the request's is in use)."""
        try:
            with Store(location) as store:
                self.ensure(store)
        except Exception as exc:  # the next query tries again, or mends the index
            log.warning("vector index in %s not updated (%s)", self.backend, exc)

    def _catch_up(self, store: Store, version: str) -> None:
        """Update the index to ``version``, or leave it to the process that holds the
        lease: serving what the index holds meanwhile, or waiting while it holds nothing."""
        target = IndexState(version, MODEL_ID)
        while True:
            state = self.backend.state()
            if state != target and store.claim(LEASE, self._owner, LEASE_SECONDS):
                try:
                    state = self.backend.state()  # as the last holder left it
                    if state != self._seen:
                        self.backend.refresh()  # another process wrote since this one looked
                    if state != target:
                        self._update(store, target, state)
                finally:
                    store.release(LEASE, self._owner)
                self._seen = state = target
            if state is not None and state.model == MODEL_ID and state.data_version:
                if self._seen != state:
                    # Another process wrote to the index: what this one opened is stale.
                    self.backend.refresh()
                    self._seen = state
                self._complete = True
                if state == target:
                    self._built_for = version
                return
            time.sleep(_WAIT_SECONDS)

    def _update(self, store: Store, target: IndexState, state: IndexState | None) -> None:
        """Apply the difference between what the backend holds and the store's indexed sets
        (everything, for an empty index or vectors of another model)."""
        if state is None or state.model != target.model:
            self.backend.clear()
            # A build cut short goes on where it stopped, instead of starting again.
            self.backend.set_state(IndexState("", target.model))
        segments = store.learning_segments()
        for gone in set(self.backend.segments()) - set(segments):
            self.backend.drop(gone)
        for segment in segments:
            wanted = {
                s.record.template_id: (text_sha(s.record.text), s.record.text)
                for s in _indexed(segment_history(store, segment)[1])
            }
            held = self.backend.members(segment)
            left = [template_id for template_id in held if template_id not in wanted]
            if left:
                self.backend.delete(segment, left)
            changed = [(i, pair) for i, pair in wanted.items() if held.get(i) != pair[0]]
            for start in range(0, len(changed), _EMBED_BATCH):
                chunk = changed[start : start + _EMBED_BATCH]
                vectors = self._vectors(store, {sha: text for _, (sha, text) in chunk})
                self.backend.upsert(
                    segment,
                    [template_id for template_id, _ in chunk],
                    [sha for _, (sha, _) in chunk],
                    np.stack([vectors[sha] for _, (sha, _) in chunk]),
                )
                store.claim(LEASE, self._owner, LEASE_SECONDS)
        self.backend.set_state(target)

    def _vectors(self, store: Store, texts: Mapping[str, str]) -> dict[str, np.ndarray[Any, Any]]:
        """Embeddings of texts by hash: those kept in the store, the rest embedded (and kept)."""
        found = store.embeddings(texts, MODEL_ID)
        missing = [sha for sha in texts if sha not in found]
        if missing:
            embedded = embedder()([texts[sha] for sha in missing])
            fresh = {sha: row.tobytes() for sha, row in zip(missing, embedded, strict=True)}
            store.keep_embeddings(fresh, MODEL_ID)
            found |= fresh
        return {sha: np.frombuffer(found[sha], dtype=np.float32) for sha in texts}

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
            ids, distances = self._candidates(store, segment, query, candidates)
        except Exception as exc:
            if _from_store(exc):
                raise
            log.warning(
                "vector index in %s failed (%s); rebuilding it from the store", self.backend, exc
            )
            with self._lock:
                if self._generation == generation:  # nobody has started afresh since
                    self.backend.clear()
                    self._built_for, self._complete = None, False
                    self._generation += 1
            ids, distances = self._candidates(store, segment, query, candidates)
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
    ) -> tuple[list[str], list[float]]:
        """The nearest entries of the segment by text (ids and cosine distances; none when
        the segment has nothing indexed)."""
        if not self._behind(store):
            self.ensure(store)
        if self.backend.count(segment) == 0:
            return [], []
        return self.backend.query(segment, embedder()([query])[0], candidates)


def _from_store(exc: Exception) -> bool:
    """Whether an error is the store's (busy under a long import, say): it says nothing of
    the index, which is not thrown away for it."""
    return isinstance(exc, DBAPIError)


@lru_cache(maxsize=1_000_000)
def text_sha(text: str) -> str:
    """What an embedding is kept and found by: the sha256 of the text (remembered: every
    update hashes every indexed text)."""
    return hashlib.sha256(text.encode()).hexdigest()


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
