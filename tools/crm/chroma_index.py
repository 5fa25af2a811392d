"""The index's vectors in Chroma: embedded in a folder (the default, under the home) or on a
Chroma server (``CRMAGENT_INDEX_URL=http://host:port``).

One collection per segment, so the segment restriction costs nothing at query time (a
``where`` filter over every segment's vectors is far slower than an unfiltered query); each
vector carries the sha256 of its text, so that an update knows which texts it already
holds. The index's state is the metadata of one more collection.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Chroma is imported with this module, once, not inside the methods: serving threads that
# first import its modules at the same time can meet its circular imports half done and
# fail for good ("partially initialized module"); this module's import lock serialises it.
import chromadb
import numpy as np
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings
from chromadb.errors import NotFoundError

from tools.crm.vectors import IndexState

log = logging.getLogger(__name__)

_STATE = "crmagent-index"
_PREFIX = "segment-"
_BATCH = 5000
"""Vectors sent to Chroma a call (under its batch limit, few round trips to a server)."""


class ChromaBackend:
    """Per-segment Chroma collections of template vectors (``VectorBackend``)."""

    def __init__(self, folder: Path | None, url: str | None) -> None:
        self.folder = folder
        self.url = url
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        """Each segment's collection, once looked up."""
        self._sizes: dict[str, int] = {}
        """Each segment's size, once asked (Chroma's count costs more than a query on a
        small segment)."""
        self._members: dict[str, dict[str, str]] = {}
        """Each segment's ids and text hashes, once read, kept as this process writes
        (what another process writes arrives through ``refresh``)."""

    @classmethod
    def embedded(cls, folder: Path) -> ChromaBackend:
        """Chroma in a folder of this machine."""
        return cls(Path(folder), None)

    @classmethod
    def server(cls, url: str) -> ChromaBackend:
        """A Chroma server (``chroma run``) at ``http://host:port``."""
        return cls(None, url)

    def __repr__(self) -> str:
        return f"Chroma at {self.folder or self.url}"

    # -- the client -------------------------------------------------------------------------

    def _connect(self) -> Any:

        settings = Settings(anonymized_telemetry=False, allow_reset=True)
        if self.folder is None:
            parts = urlsplit(str(self.url))
            return chromadb.HttpClient(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https",
                settings=settings,
            )
        try:
            client = chromadb.PersistentClient(path=str(self.folder), settings=settings)
            client.list_collections()
        except Exception as exc:  # a corrupt folder: start empty, the index fills it again
            log.warning(
                "vector index at %s unreadable (%s); rebuilding it from the store", self.folder, exc
            )
            self._forget()
            shutil.rmtree(self.folder, ignore_errors=True)
            client = chromadb.PersistentClient(path=str(self.folder), settings=settings)
        return client

    @property
    def client(self) -> Any:
        """The Chroma client, opened on first use."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _forget(self) -> None:
        """Drop this process's client (embedded Chroma caches one per folder)."""
        if self.folder is not None:
            SharedSystemClient.clear_system_cache()
        self._client = None
        self._forget_segments()

    def _forget_segments(self, *segments: str) -> None:
        """Drop what is cached of these segments (all, given none)."""
        for cache in (self._collections, self._sizes, self._members):
            if segments:
                for segment in segments:
                    cache.pop(segment, None)
            else:
                cache.clear()

    def _collection(self, segment: str, create: bool = False) -> Any:
        """A segment's collection; None for a segment with none."""
        if segment not in self._collections:
            try:
                if create:
                    collection = self.client.get_or_create_collection(
                        _PREFIX + segment,
                        embedding_function=None,
                        configuration={"hnsw": {"space": "cosine"}},
                    )
                else:
                    collection = self.client.get_collection(
                        _PREFIX + segment, embedding_function=None
                    )
            except NotFoundError:
                return None
            self._collections[segment] = collection
        return self._collections[segment]

    # -- VectorBackend ----------------------------------------------------------------------

    def intact(self) -> bool:
        """Whether the folder is still there (a server is taken as there)."""
        return self.folder is None or self.folder.exists()

    def state(self) -> IndexState | None:
        """The state kept as the metadata of the ``crmagent-index`` collection."""
        if not self.intact():
            self._forget()
            return None
        try:
            meta = self.client.get_collection(_STATE, embedding_function=None).metadata or {}
        except NotFoundError:
            return None
        if "data_version" not in meta or "model" not in meta:
            return None
        return IndexState(str(meta["data_version"]), str(meta["model"]))

    def set_state(self, state: IndexState) -> None:
        """Record the state (the collection's metadata, replaced whole)."""
        collection = self.client.get_or_create_collection(_STATE, embedding_function=None)
        collection.modify(metadata=state._asdict())

    def segments(self) -> list[str]:
        """The segments with a collection."""
        names = [c.name for c in self.client.list_collections()]
        return sorted(n.removeprefix(_PREFIX) for n in names if n.startswith(_PREFIX))

    def members(self, segment: str) -> dict[str, str]:
        """A segment's ids with their text hashes, read a page at a time (once a process,
        then kept as it writes)."""
        if segment not in self._members:
            collection, found = self._collection(segment), dict[str, str]()
            while collection is not None:
                page = collection.get(include=["metadatas"], limit=_BATCH, offset=len(found))
                for template_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                    found[template_id] = str((meta or {}).get("text_sha", ""))
                if len(page["ids"]) < _BATCH:
                    break
            self._members[segment] = found
        return dict(self._members[segment])

    def upsert(
        self, segment: str, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray[Any, Any]
    ) -> None:
        """Add or replace vectors, a batch a call."""
        collection = self._collection(segment, create=True)
        for start in range(0, len(ids), _BATCH):
            stop = start + _BATCH
            collection.upsert(
                ids=list(ids[start:stop]),
                embeddings=vectors[start:stop],
                metadatas=[{"text_sha": h} for h in hashes[start:stop]],
            )
        self._sizes.pop(segment, None)
        if segment in self._members:
            self._members[segment].update(zip(ids, hashes, strict=True))

    def delete(self, segment: str, ids: Sequence[str]) -> None:
        """Remove ids from a segment's collection."""
        collection = self._collection(segment)
        if collection is None:
            return
        for start in range(0, len(ids), _BATCH):
            collection.delete(ids=list(ids[start : start + _BATCH]))
        self._sizes.pop(segment, None)
        for template_id in ids:
            self._members.get(segment, {}).pop(template_id, None)

    def drop(self, segment: str) -> None:
        """Delete a segment's collection."""
        self._forget_segments(segment)
        with suppress(NotFoundError):
            self.client.delete_collection(_PREFIX + segment)

    def clear(self) -> None:
        """Delete every collection; an embedded folder is removed and opened anew (which
        also mends one that is damaged)."""
        if self.folder is not None:
            self._forget()
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        for collection in self.client.list_collections():
            self.client.delete_collection(collection.name)
        self._forget_segments()

    def count(self, segment: str) -> int:
        """A segment's size: of the members this process read, else asked once."""
        if segment in self._members:
            return len(self._members[segment])
        if segment not in self._sizes:
            collection = self._collection(segment)
            self._sizes[segment] = 0 if collection is None else collection.count()
        return self._sizes[segment]

    def query(
        self, segment: str, vector: np.ndarray[Any, Any], n: int
    ) -> tuple[list[str], list[float]]:
        """The nearest ids and cosine distances (ids and distances only: what keeps a query
        fast at 100k entries)."""
        total = self.count(segment)
        if total == 0:
            return [], []
        result = self._collection(segment).query(
            query_embeddings=vector.reshape(1, -1),
            n_results=min(n, total),
            include=["distances"],
        )
        distances = result["distances"]
        return list(result["ids"][0]), [] if distances is None else list(distances[0])

    def refresh(self) -> None:
        """Reopen: an embedded client reloads the folder another process wrote to; a
        server's collections are looked up afresh."""
        if self.folder is not None:
            self._forget()
        self._forget_segments()
