"""Where the vector index keeps its vectors: the interface every backend meets
(``VectorBackend``) and the one place a backend is chosen by ``CRMAGENT_INDEX_URL``
(``backend_for``).

A backend holds, per segment, the indexed templates as (template id, sha256 of the text,
unit-length embedding) and answers nearest-neighbour queries by cosine distance; beside
them it keeps the index's state (the store's data version it holds and the embedding
model of its vectors). What to index, the embeddings and the lock that lets one process
update at a time are ``tools.crm.index``'s: a backend only stores and searches.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np


class IndexState(NamedTuple):
    """What an index holds, recorded in the backend beside the vectors."""

    data_version: str
    """The store's ``data_version`` the vectors match ("" while an update is under way)."""
    model: str
    """The embedding model the vectors came from (a new model means a full build)."""


class VectorBackend(Protocol):
    """Per-segment sets of (template id, text hash, vector), searched by cosine distance."""

    def intact(self) -> bool:
        """Whether the vectors are still there, cheaply (a folder can be deleted under a
        running process); False makes the index start afresh."""

    def state(self) -> IndexState | None:
        """The recorded state, or None for an empty (or never finished) index."""

    def set_state(self, state: IndexState) -> None:
        """Record the state, after the vectors match it."""

    def segments(self) -> list[str]:
        """The segments that have vectors."""

    def members(self, segment: str) -> dict[str, str]:
        """A segment's template ids, each with the sha256 of the text its vector is of."""

    def upsert(
        self, segment: str, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray[Any, Any]
    ) -> None:
        """Add or replace templates' vectors (rows of ``vectors``, float32, unit length)."""

    def delete(self, segment: str, ids: Sequence[str]) -> None:
        """Remove templates from a segment."""

    def drop(self, segment: str) -> None:
        """Remove a segment and all its vectors."""

    def clear(self) -> None:
        """Remove everything, the state included (also what mends a damaged index)."""

    def count(self, segment: str) -> int:
        """How many templates a segment holds (0 for an unknown segment)."""

    def query(
        self, segment: str, vector: np.ndarray[Any, Any], n: int
    ) -> tuple[list[str], list[float]]:
        """The ``n`` nearest templates of a segment to a unit ``vector``: ids and cosine
        distances, nearest first (empty for an unknown or empty segment)."""

    def refresh(self) -> None:
        """Drop handles cached in this process, so that the next call sees what another
        process wrote."""


def backend_for(url: str, home: Path) -> VectorBackend:
    """The backend a ``CRMAGENT_INDEX_URL`` names: "" (the default) for Chroma embedded in
    ``home``/chroma, ``http://host:port`` for a Chroma server, ``postgresql://...`` (or
    ``postgresql+psycopg://...``) for pgvector in that PostgreSQL database."""
    from tools.crm.chroma_index import ChromaBackend

    if not url:
        return ChromaBackend.embedded(Path(home) / "chroma")
    if url.startswith(("http://", "https://")):
        return ChromaBackend.server(url)
    if url.startswith(("postgresql://", "postgresql+psycopg://")):
        from tools.crm.pgvector_index import PgvectorBackend

        return PgvectorBackend(url)
    raise ValueError(
        f"CRMAGENT_INDEX_URL={url!r}: use nothing (Chroma under the home), "
        "http://host:port (a Chroma server) or postgresql://user@host/db (pgvector)"
    )
