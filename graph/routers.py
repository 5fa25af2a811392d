"""Pure routers: each reads the state and names the next node."""

from __future__ import annotations

from typing import Literal

from graph.state import Routing


def select_mode(state: Routing) -> Literal["extract_patterns", "retrieve", "rules_rewrite"]:
    """Group learning, else retrieval, else the rules fallback (as the analyst decided)."""
    return {"group": "extract_patterns", "retrieval": "retrieve"}.get(  # type: ignore[return-value]
        state["mode"], "rules_rewrite"
    )


def after_retrieve(state: Routing) -> Literal["extract_patterns", "rules_rewrite"]:
    """Learn from the references, or fall back to rules when none qualified."""
    return "extract_patterns" if state["mode"] == "retrieval" else "rules_rewrite"


def after_check(state: Routing) -> Literal["write_guidance", "adapt_template", "rules_rewrite"]:
    """Passed: on to guidance. Failed: back to the writer while retries remain (the check
    switches the mode to rules when they are spent), else the rules rewrite."""
    if state["rule_report"].passed:
        return "write_guidance"
    return "rules_rewrite" if state["mode"] == "rules" else "adapt_template"


def after_evaluate(state: Routing) -> Literal["write_variants", "review", "__end__"]:
    """To the variants when the request asks for more than one template, else as
    ``after_variants``."""
    if state["request"].variants > 1:
        return "write_variants"
    return after_variants(state)


def after_variants(state: Routing) -> Literal["review", "__end__"]:
    """To the merchant's review when the run asks for approval, else done."""
    return "review" if state.get("require_approval") else "__end__"


def after_review(
    state: Routing,
) -> Literal["review", "adapt_template", "rules_rewrite", "__end__"]:
    """An edit that broke a rule goes back for another look; a first rejection regenerates
    the draft in its mode; approval, a good edit or a second rejection finish the run."""
    review = state.get("review")
    if review is not None and review.status == "edit_refused":
        return "review"
    if review is not None and review.status == "regenerating":
        return "rules_rewrite" if state["mode"] == "rules" else "adapt_template"
    return "__end__"
