"""Pure routers: each reads the state and names the next node."""

from __future__ import annotations

from typing import Literal

from graph.state import State


def select_mode(state: State) -> Literal["extract_patterns", "retrieve", "rules_rewrite"]:
    """Group learning, else retrieval, else the rules fallback (as the analyst decided)."""
    return {"group": "extract_patterns", "retrieval": "retrieve"}.get(  # type: ignore[return-value]
        state["mode"], "rules_rewrite"
    )


def after_retrieve(state: State) -> Literal["extract_patterns", "rules_rewrite"]:
    """Learn from the references, or fall back to rules when none qualified."""
    return "extract_patterns" if state["mode"] == "retrieval" else "rules_rewrite"


def after_check(state: State) -> Literal["write_guidance", "adapt_template", "rules_rewrite"]:
    """Passed: on to guidance. Failed: back to the writer while retries remain (the check
    switches the mode to rules when they are spent), else the rules rewrite."""
    if state["rule_report"].passed:
        return "write_guidance"
    return "rules_rewrite" if state["mode"] == "rules" else "adapt_template"
