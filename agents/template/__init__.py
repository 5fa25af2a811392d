"""The template agent: turns patterns (or, in the fallback, best-practice rules) into a
writing plan and has the grounded writer adapt an exemplar slot by slot.

Its grounded path (``grounded``: the plan, the writer's and the editor's drafts, the rules
rewrite) always runs and needs no model. Its model path has a writer model word the
grounded draft's lines and write guidance (``model``), each line checked with its facts
held in slots (``lines``) and each guidance step checked against the patterns (``steps``).
Imports ``tools`` and ``prompts``, and the rule checker and content agents.
"""

from __future__ import annotations

from agents.template.grounded import (
    ALWAYS,
    NEVER,
    draft_value,
    edit,
    minimal,
    original_exemplar,
    plan_from,
    rules_plan,
    rules_rewrite,
    write,
    write_best,
)
from agents.template.lines import DATE_FACT
from agents.template.model import limits_of, write_with_model
from agents.template.steps import DraftStep, check_steps, pattern_names

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
