"""Checkpointers for runs that must survive a restart or wait for a person: the serializer
that knows CRMAgent's state types, and a SQLite checkpointer under ``$CRMAGENT_HOME``.

The compiled ``graph`` carries no checkpointer (the LangGraph server brings its own);
``durable_graph`` compiles the same builder with one, for batches and reviews.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph.state import CompiledStateGraph

from agents.segment_analyst import GapSummary, OwnTemplate, SegmentAnalysis
from graph.builder import builder
from graph.context import Context
from graph.state import InputState, OutputState, State
from tools import domain

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


@cache
def durable_graph(home: Path) -> CompiledStateGraph[State, Context, InputState, OutputState]:
    """The graph with a SQLite checkpointer at ``home/checkpoints.sqlite``: one thread per
    request, so an interrupted run (a kill, a review) resumes later, from any process."""
    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / "checkpoints.sqlite", check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return builder.compile(checkpointer=SqliteSaver(conn, serde=serializer()))


def forget(home: Path, thread_ids: Iterable[str]) -> None:
    """Delete these threads' checkpoints from ``durable_graph(home)``'s store: runs whose
    results are kept elsewhere now."""
    saver = durable_graph(home).checkpointer
    if not isinstance(saver, SqliteSaver):
        raise TypeError(f"expected the SQLite checkpointer, got {type(saver).__name__}")
    for thread in thread_ids:
        saver.delete_thread(thread)
