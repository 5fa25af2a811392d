"""The index's vectors in PostgreSQL with pgvector (``CRMAGENT_INDEX_URL=postgresql://...``,
or SQLAlchemy's ``postgresql+psycopg://...``): one database that every worker of a
deployment searches and updates, typically the Postgres store's own.

One table for the whole index, a row per (segment, template id) with the text's sha256 and
its ``vector(384)``, and one HNSW index (cosine) over all rows. A query asks for one
segment's nearest rows with pgvector's iterative index scan, which keeps walking the graph
until enough rows of that segment are found, in exact distance order; a small segment is
simply scanned. A full build loads the rows first and creates the HNSW index when the index
is whole (pgvector builds it far faster from loaded rows than row by row); updates after
that keep it as they go. The index's state is a one-row table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from functools import cache
from typing import Any

import numpy as np
from pgvector.sqlalchemy import VECTOR
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as upsert_into

from tools.crm.embeddings import DIMENSIONS
from tools.crm.vectors import IndexState

SCHEMES = ("postgresql://", "postgresql+psycopg://")
"""Index URLs that name a PostgreSQL database."""
_BATCH = 1000
"""Rows written a statement (few round trips, statements of a sensible size)."""
_MAX_EF_SEARCH = 1000
"""pgvector's ceiling for ``hnsw.ef_search``."""
_SCHEMA_LOCK = 0x43524D56
"""The advisory lock that lets one process at a time create the tables."""

metadata = MetaData()
vector_rows = Table(
    "crmagent_vectors",
    metadata,
    Column("segment", String, primary_key=True),
    Column("template_id", String, primary_key=True),
    Column("text_sha", String, nullable=False),
    Column("embedding", VECTOR(DIMENSIONS), nullable=False),
)
hnsw = Index(
    "crmagent_vectors_hnsw",
    vector_rows.c.embedding,
    postgresql_using="hnsw",
    postgresql_ops={"embedding": "vector_cosine_ops"},
)
"""Created when a build is whole (see ``PgvectorBackend.set_state``), not with the table."""
state_row = Table(
    "crmagent_index_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("data_version", String, nullable=False),
    Column("model", String, nullable=False),
)


@cache
def _engine(url: str) -> Engine:
    """One engine a process per database (a pool, a connection checked before use, so that
    a server restart costs one retry, not the process)."""
    return create_engine("postgresql+psycopg://" + url.split("://", 1)[1], pool_pre_ping=True)


class PgvectorBackend:
    """Template vectors of every segment in one pgvector table (``VectorBackend``)."""

    def __init__(self, url: str) -> None:
        if not url.startswith(SCHEMES):
            raise ValueError(f"index URL {url!r}: give 'postgresql://user@host/database'")
        self.engine = _engine(url)
        self._ready = False
        self._counts: dict[str, int] = {}
        """Each segment's size as last counted (a count costs more than a small query)."""

    def __repr__(self) -> str:
        return f"pgvector at {self.engine.url.render_as_string(hide_password=True)}"

    def _begin(self) -> AbstractContextManager[Connection]:
        """A transaction, the tables created first if this process has not seen them."""
        if not self._ready:
            with self.engine.begin() as conn:
                _create_tables(conn)
            self._ready = True
        return self.engine.begin()

    # -- VectorBackend ----------------------------------------------------------------------

    def intact(self) -> bool:
        """Always: a database does not vanish like a folder (a query that fails on a table
        dropped under the process has the index clear it, which creates it again)."""
        return True

    def state(self) -> IndexState | None:
        """The state recorded in ``crmagent_index_state``."""
        with self._begin() as conn:
            row = conn.execute(select(state_row.c.data_version, state_row.c.model)).first()
        return None if row is None else IndexState(row.data_version, row.model)

    def set_state(self, state: IndexState) -> None:
        """Record the state. An index that is whole gets its HNSW index if a build left it
        without one, and fresh statistics, by which the planner walks the HNSW graph for a
        large segment and scans a small one."""
        with self._begin() as conn:
            conn.execute(delete(state_row))
            conn.execute(insert(state_row).values(id=1, **state._asdict()))
            if state.data_version:
                hnsw.create(conn, checkfirst=True)
                conn.execute(text(f"ANALYZE {vector_rows.name}"))

    def segments(self) -> list[str]:
        """The segments with rows."""
        with self._begin() as conn:
            found = conn.execute(select(vector_rows.c.segment).distinct()).scalars()
            return sorted(found)

    def members(self, segment: str) -> dict[str, str]:
        """A segment's template ids with their text hashes."""
        query = select(vector_rows.c.template_id, vector_rows.c.text_sha).where(
            vector_rows.c.segment == segment
        )
        with self._begin() as conn:
            return {row.template_id: row.text_sha for row in conn.execute(query)}

    def upsert(
        self, segment: str, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray[Any, Any]
    ) -> None:
        """Add or replace rows, a batch a statement, in one transaction."""
        rows = [
            {"segment": segment, "template_id": i, "text_sha": h, "embedding": v}
            for i, h, v in zip(ids, hashes, vectors, strict=True)
        ]
        statement = upsert_into(vector_rows)
        statement = statement.on_conflict_do_update(
            index_elements=["segment", "template_id"],
            set_={
                "text_sha": statement.excluded.text_sha,
                "embedding": statement.excluded.embedding,
            },
        )
        with self._begin() as conn:
            for start in range(0, len(rows), _BATCH):
                conn.execute(statement, rows[start : start + _BATCH])
        self._counts.pop(segment, None)

    def delete(self, segment: str, ids: Sequence[str]) -> None:
        """Remove rows of a segment."""
        with self._begin() as conn:
            for start in range(0, len(ids), _BATCH):
                conn.execute(
                    delete(vector_rows).where(
                        vector_rows.c.segment == segment,
                        vector_rows.c.template_id.in_(ids[start : start + _BATCH]),
                    )
                )
        self._counts.pop(segment, None)

    def drop(self, segment: str) -> None:
        """Remove a segment's rows."""
        with self._begin() as conn:
            conn.execute(delete(vector_rows).where(vector_rows.c.segment == segment))
        self._counts.pop(segment, None)

    def clear(self) -> None:
        """Empty the index and its state, and drop the HNSW index until the next build is
        whole; tables dropped or damaged under the process are created again."""
        self._ready = False
        self._counts.clear()
        with self._begin() as conn:
            conn.execute(text(f"TRUNCATE {vector_rows.name}, {state_row.name}"))
            hnsw.drop(conn, checkfirst=True)

    def count(self, segment: str) -> int:
        """A segment's size, counted once until this process changes it or refreshes."""
        if segment not in self._counts:
            query = select(func.count()).where(vector_rows.c.segment == segment)
            with self._begin() as conn:
                self._counts[segment] = int(conn.execute(query).scalar_one())
        return self._counts[segment]

    def query(
        self, segment: str, vector: np.ndarray[Any, Any], n: int
    ) -> tuple[list[str], list[float]]:
        """The nearest ids of a segment and their cosine distances (``<=>``), nearest first.
        The HNSW scan looks at ``n`` candidates at least (pgvector's default, 40, would
        cut a larger ``n`` short) and goes on, in distance order, past rows of other
        segments until it has ``n`` of this one."""
        distance = vector_rows.c.embedding.cosine_distance(vector)
        query = (
            select(vector_rows.c.template_id, distance.label("distance"))
            .where(vector_rows.c.segment == segment)
            .order_by(distance)
            .limit(n)
        )
        ef_search = str(min(max(n, 40), _MAX_EF_SEARCH))
        with self._begin() as conn:
            conn.execute(
                select(
                    func.set_config("hnsw.ef_search", ef_search, True),
                    func.set_config("hnsw.iterative_scan", "strict_order", True),
                )
            )
            rows = conn.execute(query).all()
        return [row.template_id for row in rows], [float(row.distance) for row in rows]

    def refresh(self) -> None:
        """Count segments afresh (the rows themselves are always read from the database)."""
        self._counts.clear()


def _create_tables(conn: Connection) -> None:
    """The extension and the tables, under a lock: workers that start together would
    otherwise race to create the same ones."""
    conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    metadata.create_all(conn, tables=[vector_rows, state_row])
