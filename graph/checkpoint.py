"""Checkpointers for runs that must survive a restart or wait for a person: the serializer
that knows CRMAgent's state types, and the checkpoint store that ``CRMAGENT_CHECKPOINT_URL``
names (the SQLite file ``checkpoints.sqlite`` in ``$CRMAGENT_HOME`` by default, or PostgreSQL,
which several machines can share).

The compiled ``graph`` carries no checkpointer (the LangGraph server brings its own);
``durable_graph`` compiles the same builder with one, for batches and reviews.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph.state import CompiledStateGraph

from agents.segment_analyst import GapSummary, OwnTemplate, SegmentAnalysis
from graph.builder import builder
from graph.context import Context
from graph.state import InputState, OutputState, State
from tools import domain
from tools.config import settings

STATE_TYPES: tuple[type, ...] = (
    domain.CampaignRequest,
    domain.Voucher,
    domain.VoucherType,
    domain.Channel,
    domain.Merchant,
    domain.FallbackStep,
    domain.TemplateText,
    domain.Pattern,
    domain.Reference,
    domain.RuleReport,
    domain.RuleViolation,
    domain.GuidanceStep,
    domain.Scores,
    domain.Usage,
    domain.Review,
    domain.Purpose,
    domain.Edit,
    domain.WordingLift,
    domain.Variant,
    SegmentAnalysis,
    OwnTemplate,
    GapSummary,
)
"""Every type a checkpoint may hold; nothing else is deserialized."""


def serializer() -> JsonPlusSerializer:
    """A serializer that restores CRMAgent's state types and refuses any other. A domain
    type is also known by ``tools.domain``, where checkpoints written before the domain
    became a package name it, so that a review or batch paused then still resumes."""
    return JsonPlusSerializer(
        allowed_msgpack_modules=[
            *((t.__module__, t.__name__) for t in STATE_TYPES),
            *(
                ("tools.domain", t.__name__)
                for t in STATE_TYPES
                if t.__module__.startswith("tools.domain.")
            ),
        ]
    )


POSTGRES_SCHEMES = ("postgresql://", "postgresql+psycopg://")
"""Checkpoint URLs that name a PostgreSQL database (SQLAlchemy's spelling is accepted, so
that the store and the checkpoints can be given the same URL)."""
_SETUP_LOCK = 0x43524D41
"""The advisory lock that lets one process at a time create the checkpoint tables."""


def durable_graph(home: Path) -> CompiledStateGraph[State, Context, InputState, OutputState]:
    """The graph with the checkpointer of ``home``'s checkpoint store: one thread per
    request, so an interrupted run (a kill, a review) resumes later, from any process."""
    return _compiled(settings(home).checkpoints)


def checkpointer(home: Path) -> BaseCheckpointSaver[str]:
    """The checkpointer ``durable_graph(home)`` runs with."""
    return _saver(settings(home).checkpoints)


def forget(home: Path, thread_ids: Iterable[str]) -> None:
    """Delete these threads' checkpoints from ``home``'s checkpoint store: runs whose
    results are kept elsewhere now."""
    saver = checkpointer(home)
    for thread in thread_ids:
        saver.delete_thread(thread)


@cache
def _compiled(url: str) -> CompiledStateGraph[State, Context, InputState, OutputState]:
    return builder.compile(checkpointer=_saver(url))


@cache
def _saver(url: str) -> BaseCheckpointSaver[str]:
    """One checkpointer a process per store, shared by its threads."""
    if url.startswith(POSTGRES_SCHEMES):
        return _postgres("postgresql://" + url.split("://", 1)[1])
    if url.startswith("sqlite:///"):
        return _sqlite(Path(url.removeprefix("sqlite:///")))
    raise ValueError(
        f"checkpoint URL {url!r}: set CRMAGENT_CHECKPOINT_URL to 'postgresql://...' or"
        " 'sqlite:///path', or unset it for the SQLite file in the home"
    )


def _sqlite(path: Path) -> SqliteSaver:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return SqliteSaver(conn, serde=serializer())


def _postgres(url: str) -> BaseCheckpointSaver[str]:
    """A PostgreSQL checkpointer on a small pool (a connection lost to a server restart is
    replaced, not fatal), its tables created or migrated first."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import DictRow, dict_row
    from psycopg_pool import ConnectionPool

    with Connection[DictRow].connect(
        url, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as conn:
        # Workers that start together would otherwise race to create the same tables.
        conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
        PostgresSaver(conn).setup()
    pool = ConnectionPool(
        url,
        connection_class=Connection[DictRow],
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        min_size=1,
        max_size=2,
        check=ConnectionPool.check_connection,
        open=True,
    )
    return PostgresSaver(pool, serde=serializer())
