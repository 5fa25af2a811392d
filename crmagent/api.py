"""The Python way in: ``generate`` one request, ``generate_batch`` many.

Both run the same compiled graph that LangGraph Studio and the HTTP service run, and return
DESIGN.md's ``GenerationResult``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any, cast

from pydantic import BaseModel

from graph import graph
from graph.context import Context
from graph.state import InputState
from tools.domain import CampaignRequest, GenerationResult


class BatchError(BaseModel):
    """A request of a batch that could not be answered, and why."""

    id: str | None
    error: str


RequestLike = CampaignRequest | Mapping[str, Any]


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
    **overrides: Any,
) -> list[GenerationResult | BatchError]:
    """Many requests, ``max_concurrency`` at a time; a request that fails becomes a
    ``BatchError`` in its place, so the output lines up with the input."""
    payloads = [_payload(r) for r in requests]
    outputs = graph.batch(
        payloads,
        config={"max_concurrency": max_concurrency},
        return_exceptions=True,
        context=make_context(context, **overrides),
    )
    results: list[GenerationResult | BatchError] = []
    for payload, output in zip(payloads, outputs, strict=True):
        if isinstance(output, BaseException):
            results.append(BatchError(id=payload.get("id"), error=str(output)))
        else:
            results.append(GenerationResult.model_validate(output))
    return results
