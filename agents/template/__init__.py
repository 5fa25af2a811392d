"""The template agent: turns patterns (or, in the fallback, best-practice rules) into a
writing plan and has the grounded writer adapt an exemplar slot by slot."""

from __future__ import annotations

from agents.template.grounded import (
    ALWAYS,
    DATE_FACT,
    NEVER,
    DraftStep,
    check_steps,
    draft_value,
    edit,
    limits_of,
    minimal,
    original_exemplar,
    pattern_names,
    plan_from,
    rules_plan,
    rules_rewrite,
    write,
    write_best,
    write_with_model,
)

__all__ = [
    "ALWAYS",
    "DATE_FACT",
    "NEVER",
    "DraftStep",
    "check_steps",
    "draft_value",
    "edit",
    "limits_of",
    "minimal",
    "original_exemplar",
    "pattern_names",
    "plan_from",
    "rules_plan",
    "rules_rewrite",
    "write",
    "write_best",
    "write_with_model",
]
