"""Finding what converts: other merchants' top templates in the segment (``retrieve``), and
the copy features and wordings that went with conversion (``extract_patterns``), a model's
reading of the patterns computed once per merchant x segment x channel and data version.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from typing import Any

from langgraph.runtime import Runtime

from agents import content, retrieval
from graph.context import Context, model_for
from graph.nodes.shared import spent
from graph.state import State
from tools.crm.history import (
    merchant_leans,
    own_dispersion,
    own_history,
    per_data_version,
    segment_columns,
    segment_dispersion,
    segment_history,
    segment_lifts,
)
from tools.crm.resources import index_for, store_for
from tools.domain import FallbackStep
from tools.models import Spend, budget, load_model
from tools.writing import wording

_PATTERN_LOCKS: defaultdict[tuple[str, ...], threading.Lock] = defaultdict(threading.Lock)


def retrieve(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Other merchants' top templates in the segment; step down to rules if none qualifies."""
    ctx = runtime.context
    request, analysis = state["request"], state["analysis"]
    found = retrieval.retrieve(
        store_for(ctx.home),
        index_for(ctx.home),
        request,
        analysis.canonical or request.segment,
        state["merchant"],
        threshold=ctx.similarity_threshold,
        k=ctx.max_references,
    )
    if found.reason is not None:
        return {
            "mode": "rules",
            "fallback_trail": [FallbackStep(mode="retrieval", reason=found.reason)],
        }
    return {"references": found.references}


def extract_patterns(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Copy features that went with conversion: own top vs bottom, or references vs segment."""
    ctx = runtime.context
    store, request, analysis = store_for(ctx.home), state["request"], state["analysis"]
    segment = analysis.canonical or request.segment
    _, everyone = segment_history(store, segment)
    spread = ctx.merchant_effect_spread
    channel, group = request.channel.value, state["mode"] == "group"
    scope = (request.merchant_id, segment, channel, spread, group)
    # In both modes the segment's lifts are moved by how this merchant's customers lean in
    # its other segments; group learning adds its own history here, which retrieval mode
    # was chosen for lacking. Every request of a batch for the same pair reuses them, and
    # in group learning the patterns too (its top and bottom templates are the pair's).
    leans = merchant_leans(store, request.merchant_id, segment, spread)
    lifts = per_data_version(
        store,
        "merchant_lifts",
        scope,
        lambda: content.own_lifts(
            own_history(store, request.merchant_id, segment) if group else [],
            segment_lifts(store, segment, channel, spread),
            leans,
            own_dispersion(store) if group else 1.0,
        ),
    )
    if group:
        patterns = per_data_version(
            store,
            "group_patterns",
            (*scope, tuple(analysis.top_ids), tuple(analysis.bottom_ids)),
            lambda: content.extract(
                own_history(store, request.merchant_id, segment),
                analysis.top_ids,
                contrast_ids=analysis.bottom_ids,
                lifts=lifts,
                leans=leans,
            ),
        )
    else:
        patterns = content.extract(
            [s.record for s in everyone],
            [r.template_id for r in state["references"]],
            lifts=lifts,
            leans=leans,
        )
    # The words themselves (openings, offer verbs, calls to action), read the same way: the
    # segment's, and in group learning the merchant's own moved from them.
    reading = per_data_version(
        store,
        "segment_wordings",
        segment,
        lambda: wording.read_segment(
            [s.record for s in everyone],
            segment_dispersion(store),
            segment_columns(store, segment),
        ),
    )
    wordings = per_data_version(
        store,
        "wordings",
        (request.merchant_id if group else "", segment, spread),
        lambda: wording.learn(
            reading, own_history(store, request.merchant_id, segment) if group else (), spread
        ),
    )
    model = load_model(model_for(ctx, "analyst"), ctx.model_timeout)
    if model is None or not patterns:
        return {"patterns": patterns, "wordings": wordings}
    # A model's reading of the patterns is computed once per merchant x segment x channel and
    # data version, and reused by every request of a batch; requests for the same pair wait
    # for one reading (one lock per pair, whatever the data version: imports do not add any).
    pair = (
        request.merchant_id,
        segment,
        request.channel.value,
        state["mode"],
        model_for(ctx, "analyst"),
    )
    key = "|".join(("patterns", *pair, store.get_meta("data_version") or ""))
    with _PATTERN_LOCKS[pair]:
        cached = store.cached(key)
        if cached is not None:
            notes = dict(json.loads(cached))
            return {
                "wordings": wordings,
                "patterns": [
                    p.model_copy(update={"description": notes.get(p.name, p.description)})
                    for p in patterns
                ],
            }
        spend = Spend(budget=budget(ctx.call_budget))
        exemplars = (
            [t.text for t in analysis.best_for(request.channel.value, 3)]
            if state["mode"] == "group"
            else [r.text for r in state.get("references", [])[:3]]
        )
        read = content.interpret(
            model,
            patterns,
            segment,
            request.channel.value,
            exemplars,
            spend=spend,
            method=ctx.structured_method,
            tries=ctx.model_tries,
        )
        if read is not None:
            store.cache(key, json.dumps([[p.name, p.description] for p in read]))
    return {
        "patterns": read or patterns,
        "wordings": wordings,
        **spent(state, spend, None if read is not None else "pattern notes"),
    }
