"""The Python way in: ``generate`` one request, ``generate_batch`` many.

Both run the same compiled graph that LangGraph Studio and the HTTP service run, and return
DESIGN.md's ``GenerationResult``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel

from graph import graph
from graph.checkpoint import durable_graph
from graph.context import Context, check_models
from graph.state import InputState
from tools.domain import CampaignRequest, GenerationResult
from tools.models import close_budget, open_budget


class BatchError(BaseModel):
    """A request of a batch that could not be answered, and why."""

    id: str | None
    error: str


PAUSED = "awaiting review"
"""A ``BatchError``'s error for a run that stopped for the merchant's approval."""
RequestLike = CampaignRequest | Mapping[str, Any]
RESULT_KEYS = frozenset(GenerationResult.model_fields)


def make_context(context: Context | None = None, **overrides: Any) -> Context:
    """A run's ``Context``: the defaults (from the environment), then ``overrides``."""
    known = {f.name for f in fields(Context)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown Context setting(s): {', '.join(unknown)}")
    return replace(context or Context(), **overrides)


def _payload(request: RequestLike) -> InputState:
    if isinstance(request, CampaignRequest):
        return cast(InputState, request.model_dump(mode="json"))
    return cast(InputState, dict(request))


def generate(
    request: RequestLike, *, context: Context | None = None, **overrides: Any
) -> GenerationResult:
    """Improve one template (or write a new one) for a campaign request."""
    output = graph.invoke(_payload(request), context=make_context(context, **overrides))
    return GenerationResult.model_validate(output)


def generate_batch(
    requests: Sequence[RequestLike],
    *,
    max_concurrency: int = 2,
    context: Context | None = None,
    thread_ids: Sequence[str] | None = None,
    max_calls: int | None = None,
    **overrides: Any,
) -> list[GenerationResult | BatchError]:
    """Many requests, ``max_concurrency`` at a time; a request that fails becomes a
    ``BatchError`` in its place, so the output lines up with the input.

    With ``thread_ids`` (one per request) the runs are checkpointed in the context's home's
    checkpoint store (``CRMAGENT_CHECKPOINT_URL``, SQLite in the home by default): a request
    finished before is not run again, one interrupted mid-graph (a kill, a pending review)
    resumes where it stopped.

    A model setting that cannot work (a missing GGUF file, an unknown provider, no API key)
    raises ``ValueError`` naming the role and the model before any request runs: it would
    fail every one of them alike.

    ``max_calls`` caps the model calls of the whole batch (pattern readings and drafts,
    retries included; the judge's apart): once they are spent, requests fall back to the
    grounded layer, flagged in ``degraded_reason`` ("model budget of N calls spent").
    """
    ctx = make_context(context, **overrides)
    check_models(ctx)
    if max_calls is None:
        return _generate_batch(requests, max_concurrency, ctx, thread_ids)
    key = open_budget(max_calls)
    try:
        return _generate_batch(requests, max_concurrency, replace(ctx, call_budget=key), thread_ids)
    finally:
        close_budget(key)


def _generate_batch(
    requests: Sequence[RequestLike],
    max_concurrency: int,
    ctx: Context,
    thread_ids: Sequence[str] | None,
) -> list[GenerationResult | BatchError]:
    payloads = [_payload(r) for r in requests]
    if thread_ids is None:
        outputs: list[Any] = graph.batch(
            payloads,
            config={"max_concurrency": max_concurrency},
            return_exceptions=True,
            context=ctx,
        )
    else:
        outputs = _durable_batch(payloads, list(thread_ids), max_concurrency, ctx)
    results: list[GenerationResult | BatchError] = []
    for payload, output in zip(payloads, outputs, strict=True):
        if isinstance(output, BaseException):
            results.append(BatchError(id=payload.get("id"), error=str(output)))
        elif "__interrupt__" in output:
            results.append(BatchError(id=payload.get("id"), error=PAUSED))
        else:
            results.append(GenerationResult.model_validate(output))
    return results


def _durable_batch(
    payloads: list[InputState], thread_ids: list[str], max_concurrency: int, ctx: Context
) -> list[Any]:
    if len(thread_ids) != len(payloads):
        raise ValueError("give one thread id per request")
    runner = durable_graph(Path(ctx.home).resolve())
    outputs: list[Any] = [None] * len(payloads)
    pending: list[tuple[int, InputState | None, RunnableConfig]] = []
    for index, (payload, thread) in enumerate(zip(payloads, thread_ids, strict=True)):
        config: RunnableConfig = {"configurable": {"thread_id": thread}}
        snapshot = runner.get_state(config)
        # Stopped mid-graph: resume from the last checkpoint. A step whose results were
        # saved but not yet its checkpoint (killed while LangGraph wrote it in the
        # background) lists no next node but still has its tasks, to be applied on resume.
        if snapshot.next or snapshot.tasks:
            pending.append((index, None, config))
        elif snapshot.values.get("scores") is not None:  # finished before
            outputs[index] = {k: v for k, v in snapshot.values.items() if k in RESULT_KEYS}
        else:
            pending.append((index, payload, config))
    if pending:
        # A None input resumes a thread from its checkpoint (typed as the input state).
        answers = runner.batch(
            [cast(InputState, p[1]) for p in pending],
            [{**p[2], "max_concurrency": max_concurrency} for p in pending],
            return_exceptions=True,
            context=ctx,
        )
        for (index, _, _), answer in zip(pending, answers, strict=True):
            outputs[index] = answer
    return outputs
