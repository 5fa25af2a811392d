"""The graph's nodes: each a small function of (state, runtime) that reads what it needs,
calls its agent (a model's, when one is set, checked against the grounded answer) and
returns only the keys it changes.

In the request's order: ``analysis`` (the request read, the mode chosen), ``patterns``
(retrieval and what converts), ``writing`` (adapt, rules rewrite, the writer model),
``checking`` (the rules, the guidance, the scores), ``variants`` (the other templates of
an A/B test, when asked for) and ``approval`` (the merchant's review); ``shared`` holds
what they share (a model call's usage and degradation).
"""

from __future__ import annotations

from graph.nodes.analysis import (
    REQUEST_KEYS,
    InvalidRequest,
    analyze_segment,
    locale_problem,
    offer_problem,
    parse_request,
    unpasted,
)
from graph.nodes.approval import REVIEW_ACTIONS, recheck, review
from graph.nodes.checking import check_rules, evaluate, write_guidance
from graph.nodes.patterns import extract_patterns, retrieve
from graph.nodes.variants import write_variants
from graph.nodes.writing import adapt_template, rules_rewrite

__all__ = [
    "REQUEST_KEYS",
    "REVIEW_ACTIONS",
    "InvalidRequest",
    "adapt_template",
    "analyze_segment",
    "check_rules",
    "evaluate",
    "extract_patterns",
    "locale_problem",
    "offer_problem",
    "parse_request",
    "recheck",
    "retrieve",
    "review",
    "rules_rewrite",
    "unpasted",
    "write_guidance",
    "write_variants",
]
